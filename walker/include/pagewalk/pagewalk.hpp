// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk: the whole library in one include.
#pragma once

#include "access.hpp"
#include "bits.hpp"
#include "context.hpp"
#include "cpu.hpp"
#include "entry.hpp"
#include "flush.hpp"
#include "frames.hpp"
#include "map.hpp"
#include "map_entries.hpp"
#include "map_walk.hpp"
#include "mappings.hpp"
#include "memory.hpp"
#include "mode.hpp"
#include "recursive.hpp"
#include "register_writes.hpp"
#include "rights.hpp"
#include "translate.hpp"
#include "visit.hpp"
#include "walk.hpp"
#include "walker.hpp"
