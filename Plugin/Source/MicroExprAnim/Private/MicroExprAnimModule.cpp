// The MicroExprAnim editor module. Its Python half (Content/Python) registers the menu; this module only
// provides the DataTable row struct and the commandlet, so the default module implementation suffices.

#include "Modules/ModuleManager.h"

IMPLEMENT_MODULE(FDefaultModuleImpl, MicroExprAnim)
