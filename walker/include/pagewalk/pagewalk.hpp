// pagewalk: the whole library in one include.
#pragma once

#include "access.hpp"
#include "bits.hpp"
#include "context.hpp"
#include "cpu.hpp"
#include "entry.hpp"
#include "memory.hpp"
#include "mode.hpp"
#include "recursive.hpp"
#include "rights.hpp"
#include "translate.hpp"
#include "walk.hpp"
#include "walker.hpp"
