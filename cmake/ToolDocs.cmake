# Run at build time (cmake -P) for one executable: its bash completion, from the options its own
# --help lists; with -DMAN=page (help2man's), the page's flag groups moved under an OPTIONS
# section (help2man files groups other than "Options:" under DESCRIPTION).
# Usage: cmake -DTOOL=path/to/mlgate-X -DOUT=file [-DMAN=page.1] -P ToolDocs.cmake
if(DEFINED UMBRELLA)
  # mlgate's completion: the commands first, then each command's own completion.
  file(STRINGS ${UMBRELLA} lines)
  set(names "help")
  foreach(l ${lines})
    string(REGEX MATCH "^{\"([a-z]+)\"" m "${l}")
    list(APPEND names ${CMAKE_MATCH_1})
  endforeach()
  string(REPLACE ";" " " names "${names}")
  file(WRITE ${OUT} "# bash completion for mlgate (generated from its command list)
_mlgate() {
  local cur=\"\${COMP_WORDS[COMP_CWORD]}\"
  if [[ \$COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( \$(compgen -W \"${names} --help --version\" -- \"\$cur\") )
    return
  fi
  local sub=\"mlgate-\${COMP_WORDS[1]}\" fn=\"_mlgate_\${COMP_WORDS[1]}\"
  if ! declare -F \"\$fn\" >/dev/null; then
    _completion_loader \"\$sub\" 2>/dev/null
  fi
  if declare -F \"\$fn\" >/dev/null; then
    COMP_WORDS=(\"\$sub\" \"\${COMP_WORDS[@]:2}\")
    COMP_CWORD=\$((COMP_CWORD - 1))
    \"\$fn\"
  else
    COMPREPLY=( \$(compgen -f -- \"\$cur\") )
  fi
}
complete -o filenames -F _mlgate mlgate
")
  return()
endif()
execute_process(COMMAND ${TOOL} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TOOL} --help failed")
endif()
get_filename_component(name ${TOOL} NAME)
string(REGEX MATCHALL "(^|[ ,])--[a-z][a-z0-9-]*" found "${help}")
set(flags "")
foreach(f ${found})
  string(REGEX REPLACE "^[ ,]" "" f "${f}")
  list(APPEND flags ${f})
endforeach()
list(REMOVE_DUPLICATES flags)
string(REPLACE ";" " " flags "${flags}")
string(REPLACE "-" "_" fn "${name}")
file(WRITE ${OUT} "# bash completion for ${name} (generated from its --help)
_${fn}() {
  local cur=\"\${COMP_WORDS[COMP_CWORD]}\"
  if [[ \"\$cur\" == -* ]]; then
    COMPREPLY=( \$(compgen -W \"${flags}\" -- \"\$cur\") )
  else
    COMPREPLY=( \$(compgen -f -- \"\$cur\") )
  fi
}
complete -o filenames -F _${fn} ${name}
")

if(DEFINED MAN)
  file(READ ${MAN} page)
  string(FIND "${page}" "\n.SS " first)
  string(FIND "${page}" "\n.SH OPTIONS" has)
  if(first GREATER 0 AND has LESS 0)
    string(SUBSTRING "${page}" 0 ${first} head)
    string(SUBSTRING "${page}" ${first} -1 tail)
    file(WRITE ${MAN} "${head}\n.SH OPTIONS${tail}")
  endif()
endif()
