// One row of an AU-to-rig table: Action Unit AU drives rig curve Curve with Weight.
// The CSV columns (Name,AU,Curve,Weight,Side,RangeMin,RangeMax,Notes) import into a DataTable of this
// struct; the first column is the row name. A C++ struct (not a Python one) so that saved DataTables
// load without Python.

#pragma once

#include "CoreMinimal.h"
#include "Engine/DataTable.h"

#include "MicroExprAURigRow.generated.h"

USTRUCT(BlueprintType)
struct MICROEXPRANIM_API FMicroExprAURigRow : public FTableRowBase
{
	GENERATED_BODY()

	/** FACS Action Unit, e.g. AU12 (bilateral) or AU12L / AU12R (one side). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "MicroExprAnim")
	FName AU;

	/** Rig curve the AU drives, e.g. CTRL_expressions_mouthCornerPullL or mouthSmileLeft. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "MicroExprAnim")
	FName Curve;

	/** Curve value per unit of AU activation. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "MicroExprAnim")
	float Weight = 1.0f;

	/** Side of the face the curve moves: L, R, or empty for both. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "MicroExprAnim")
	FString Side;

	/** Lowest value written to the curve. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "MicroExprAnim")
	float RangeMin = 0.0f;

	/** Highest value written to the curve. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "MicroExprAnim")
	float RangeMax = 1.0f;

	/** Free text: source of the mapping, caveats. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "MicroExprAnim")
	FString Notes;
};
