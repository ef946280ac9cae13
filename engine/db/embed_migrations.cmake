# Writes OUT: a C++ file defining builtin_migrations() from SQL_DIR/*.sql.
file(GLOB files ${SQL_DIR}/*.sql)
list(SORT files)
set(body "")
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  string(REGEX MATCH "^[0-9]+" digits ${name})
  if(NOT digits)
    message(FATAL_ERROR "migration ${name} must start with its version number")
  endif()
  math(EXPR version "${digits}")
  file(READ ${f} sql)
  string(APPEND body "      {${version}, \"${name}\", R\"bottega_sql(${sql})bottega_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from sql/*.sql by embed_migrations.cmake; do not edit.
#include \"engine/db/migrations.h\"

namespace bottega {

const std::vector<Migration>& builtin_migrations() {
  static const std::vector<Migration> migrations = {
${body}  };
  return migrations;
}

}  // namespace bottega
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
