// CSupport is header-only (static inline helpers); this file gives the target a translation unit.
#include "CSupport.h"
