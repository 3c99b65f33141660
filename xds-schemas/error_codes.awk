# error_codes.tsv -> error_codes.h: one ErrorCode constant per row, named after the code
# without its XDS prefix (XDSRegistryError -> kRegistryError).
BEGIN {
  FS = "\t"
  print "// Generated from xds-schemas/error_codes.tsv by error_codes.awk. Do not edit."
  print "#ifndef XDS_XDS_SCHEMAS_ERROR_CODES_H_"
  print "#define XDS_XDS_SCHEMAS_ERROR_CODES_H_"
  print ""
  print "namespace xds {"
  print ""
  print "// An XDS error code of the table; MakeError accepts nothing else."
  print "struct ErrorCode {"
  print "  const char* name;"
  print "};"
  print ""
  print "namespace err {"
}
/^#/ || /^code\t/ || NF == 0 { next }
NF != 3 { print "error_codes.tsv line " NR ": expected 3 columns" > "/dev/stderr"; exit 1 }
{
  name = $1
  sub(/^XDS/, "", name)
  if (name in seen) { print "error_codes.tsv: duplicate " $1 > "/dev/stderr"; exit 1 }
  seen[name] = 1
  printf "inline constexpr ErrorCode k%s{\"%s\"};  // %s: %s\n", name, $1, $2, $3
}
END {
  print "}  // namespace err"
  print "}  // namespace xds"
  print ""
  print "#endif  // XDS_XDS_SCHEMAS_ERROR_CODES_H_"
}
