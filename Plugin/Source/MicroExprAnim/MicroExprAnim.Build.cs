// MicroExprAnim editor module: the DataTable row struct of the AU-to-rig tables and the batch commandlet.

using UnrealBuildTool;

public class MicroExprAnim : ModuleRules
{
	public MicroExprAnim(ReadOnlyTargetRules Target) : base(Target)
	{
		PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;

		PublicDependencyModuleNames.AddRange(new string[] { "Core", "CoreUObject", "Engine" });
		PrivateDependencyModuleNames.AddRange(new string[] { "UnrealEd", "PythonScriptPlugin" });
	}
}
