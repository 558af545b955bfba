// Batch commandlet: UnrealEditor-Cmd <Project> -run=MicroExprAnim -clips=DIR -dest=/Game/... [-rig=...]
// [-fps=200] [-overwrite] -unattended -nullrhi. Hands its command line to the Python batch entry
// (microexpr_anim.batch.commandlet_entry), which refuses unknown switches, and returns non-zero when Python
// is missing, an argument is wrong or any clip failed; that result is the process exit code.

#pragma once

#include "CoreMinimal.h"
#include "Commandlets/Commandlet.h"

#include "MicroExprAnimCommandlet.generated.h"

UCLASS()
class UMicroExprAnimCommandlet : public UCommandlet
{
	GENERATED_BODY()

public:
	UMicroExprAnimCommandlet();

	virtual int32 Main(const FString& Params) override;
};
