# SPDX-License-Identifier: MIT
# The section 3 manual pages: written from include/mmf.h at build time by
# man/gen-man3.sh (POSIX sh and awk) into <build>/man/man3, so that a
# change of the header, a renamed function too, changes the pages; and
# installed into ${CMAKE_INSTALL_MANDIR}/man3. Included by the top-level
# CMakeLists.txt when MMF_BUILD_MAN is on.
set(MMF_MAN3_DIR ${PROJECT_BINARY_DIR}/man)
set(MMF_MAN3_STAMP ${MMF_MAN3_DIR}/man3.stamp)
add_custom_command(OUTPUT ${MMF_MAN3_STAMP}
  COMMAND sh ${PROJECT_SOURCE_DIR}/man/gen-man3.sh
          ${PROJECT_SOURCE_DIR}/include/mmf.h ${MMF_MAN3_DIR} ${PROJECT_VERSION}
  COMMAND ${CMAKE_COMMAND} -E touch ${MMF_MAN3_STAMP}
  DEPENDS ${PROJECT_SOURCE_DIR}/include/mmf.h
          ${PROJECT_SOURCE_DIR}/man/gen-man3.sh
          ${PROJECT_SOURCE_DIR}/man/gen-man3.awk
  COMMENT "Writing the section 3 manual pages from include/mmf.h"
  VERBATIM)
add_custom_target(man3 ALL DEPENDS ${MMF_MAN3_STAMP})
if(MMF_INSTALL)
  install(DIRECTORY ${MMF_MAN3_DIR}/man3 DESTINATION ${CMAKE_INSTALL_MANDIR})
endif()
