# SPDX-License-Identifier: MIT OR Apache-2.0
# pagewalk guest: turns the 32-bit world's compiler output (assembly, from `-m32 -S`) into one ELF64 object.
#
# Why not `objcopy -O elf64-x86-64` on -m32 objects: i386 uses REL relocations whose addend sits in the
# instruction bytes; objcopy writes RELA relocations with addend 0 and the linker ignores the in-place value, so
# every PC-relative call lands 4 bytes late. Instead, the -m32 assembly is assembled by the 64-bit assembler
# under `.code32`: 32-bit encodings, correct R_X86_64_32 / R_X86_64_PC32 relocations (the image is below 4 GiB).
#
# Inputs (-D): ASM_FILES (;-list of assembly files, named *.o by CMake), CXX, LD, OBJCOPY, OUTPUT, WORK_DIR,
# PREFIX, SHARED (;-list of symbols whose prefixed references are renamed back).
set(objects "")
set(index 0)
file(MAKE_DIRECTORY ${WORK_DIR})
foreach(input ${ASM_FILES})
  file(READ ${input} text)
  set(source ${WORK_DIR}/world32_${index}.s)
  file(WRITE ${source} "\t.code32\n${text}")
  set(object ${WORK_DIR}/world32_${index}.o)
  execute_process(COMMAND ${CXX} -c -x assembler ${source} -o ${object} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "assembling ${input} as .code32 failed")
  endif()
  list(APPEND objects ${object})
  math(EXPR index "${index} + 1")
endforeach()
execute_process(COMMAND ${LD} -m elf_x86_64 -r -o ${WORK_DIR}/world32_combined.o ${objects} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ld -r of the 32-bit world failed")
endif()
set(redefines "")
foreach(sym ${SHARED})
  list(APPEND redefines --redefine-sym ${PREFIX}${sym}=${sym})
endforeach()
execute_process(COMMAND ${OBJCOPY} --prefix-symbols=${PREFIX} ${WORK_DIR}/world32_combined.o
                        ${WORK_DIR}/world32_prefixed.o RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objcopy --prefix-symbols failed")
endif()
execute_process(COMMAND ${OBJCOPY} ${redefines} ${WORK_DIR}/world32_prefixed.o ${OUTPUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objcopy --redefine-sym failed")
endif()
