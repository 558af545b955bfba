#include "MicroExprAnimCommandlet.h"

#include "Containers/Ticker.h"
#include "IPythonScriptPlugin.h"
#include "Misc/Base64.h"

DEFINE_LOG_CATEGORY_STATIC(LogMicroExprAnim, Log, All);

UMicroExprAnimCommandlet::UMicroExprAnimCommandlet()
{
	IsClient = false;
	IsServer = false;
	IsEditor = true;
	LogToConsole = true;
	ShowErrorCount = true;
	// Our result is the exit code: without this, any error logged during the run (asset registry noise
	// included) makes the process return 1 even when every clip succeeded.
	UseCommandletResultAsExitCode = true;
	HelpDescription = TEXT("Generate micro-expression AnimSequences for every clip of a folder.");
	HelpUsage = TEXT("UnrealEditor-Cmd <Project.uproject> -run=MicroExprAnim -clips=<folder> -dest=/Game/<folder> "
					 "[-rig=metahuman|arkit|/Game/Path/DT_Table|table.csv] [-skeleton=/Game/Path/Skeleton] "
					 "[-fps=<frames per second, required for frame folders>] [-events=auto|take|strongest|all|<n>] "
					 "[-emotion=<name>] [-intensity=<0..1>] "
					 "[-variants=<n>] [-seed=<n>] [-report=<file.json>] [-model=auto|in_process|external] "
					 "[-python=<python.exe>] [-weights=<file>] [-overwrite] [-skipcurvecheck] -unattended -nullrhi");
}

int32 UMicroExprAnimCommandlet::Main(const FString& Params)
{
	IPythonScriptPlugin* Python = IPythonScriptPlugin::Get();
	if (Python == nullptr || !Python->IsPythonAvailable())
	{
		UE_LOG(LogMicroExprAnim, Error,
			TEXT("Python is not available: enable the Python Editor Script Plugin (and do not pass -DisablePython)."));
		return 2;
	}

	// Let Python finish its start-up (init_unreal.py, sys.path of mounted plugins) before running the batch.
	FTSTicker::GetCoreTicker().Tick(0.0f);

	// The parameters travel as UTF-8 Base64 so that quotes and backslashes in paths need no escaping.
	const FTCHARToUTF8 Utf8Params(*Params);
	const FString EncodedParams = FBase64::Encode(reinterpret_cast<const uint8*>(Utf8Params.Get()), Utf8Params.Length());

	FPythonCommandEx Command;
	Command.ExecutionMode = EPythonCommandExecutionMode::ExecuteFile; // a literal script; errors fail the call
	Command.FileExecutionScope = EPythonFileExecutionScope::Private;
	Command.Flags |= EPythonCommandFlags::Unattended;
	Command.Command = FString::Printf(
		TEXT("import microexpr_anim.batch\nmicroexpr_anim.batch.commandlet_entry('%s')\n"), *EncodedParams);

	const bool bSucceeded = Python->ExecPythonCommandEx(Command);
	if (!bSucceeded)
	{
		UE_LOG(LogMicroExprAnim, Error, TEXT("MicroExprAnim batch failed: %s"), *Command.CommandResult);
		return 1;
	}
	UE_LOG(LogMicroExprAnim, Display, TEXT("MicroExprAnim batch finished."));
	return 0;
}
