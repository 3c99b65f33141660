#!/usr/bin/env bash
# Builds the fuzz targets of registry/shared/{mime,ebrim,xua}/fuzz with AddressSanitizer + UBSan, outside
# Bazel, and runs each for a time budget over its seed corpus. Exits non-zero when any
# target crashes, trips a sanitizer, violates a property check or hangs.
#
#   tools/fuzz/run.sh [SECONDS] [TARGET...]      TARGET: mime, xml, xua, hl7v2 (default: all)
#
# Engine: libFuzzer (coverage-guided) when clang++ -fsanitize=fuzzer works, otherwise
# g++ with the standalone driver registry/shared/fuzz/standalone_main.cc. Override with
# FUZZ_ENGINE=standalone|libfuzzer. Other knobs: FUZZ_SEED (default 1), XDS_FUZZ_OUT
# (build and artifact directory, default ${TMPDIR:-/tmp}/xds-fuzz), XDS_FUZZ_NO_BAZEL=1
# (do not call bazel; needs bazel-bin/proto/*.pb.cc from an earlier `bazel build //proto:all`).
#
# Crashing inputs are saved under $XDS_FUZZ_OUT/artifacts/<target>/; reproduce one with
#   $XDS_FUZZ_OUT/<engine>/<target>_fuzz <file>
set -euo pipefail

seconds="${1:-20}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(mime xml xua hl7v2); fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [mime|xml|xua|hl7v2 ...]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${XDS_FUZZ_OUT:-${TMPDIR:-/tmp}/xds-fuzz}"
seed="${FUZZ_SEED:-1}"
shared="${XDS_SHARED:-/work/shared}"
mkdir -p "$out"
# Inside `bazel test` a nested bazel call would wait forever for the outer one's lock.
if [[ -n "${TEST_SRCDIR:-}" ]]; then export XDS_FUZZ_NO_BAZEL=1; fi

# --- engine --------------------------------------------------------------------------
engine="${FUZZ_ENGINE:-auto}"
if [[ "$engine" == auto ]]; then
  engine=standalone
  if command -v clang++ >/dev/null 2>&1; then
    probe="$out/probe"
    mkdir -p "$probe"
    echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cc"
    if clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cc" -o "$probe/p" >/dev/null 2>&1; then
      engine=libfuzzer
    fi
  fi
fi
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all"
case "$engine" in
  libfuzzer)
    cxx=clang++
    compile_flags="-std=c++17 -O1 -g -fno-omit-frame-pointer $sanitize -fsanitize=fuzzer-no-link"
    link_flags="$sanitize -fsanitize=fuzzer"
    driver=()
    ;;
  standalone)
    cxx=g++
    compile_flags="-std=c++17 -O1 -g -fno-omit-frame-pointer $sanitize"
    link_flags="$sanitize"
    driver=(registry/shared/fuzz/standalone_main.cc)
    ;;
  *)
    echo "FUZZ_ENGINE must be libfuzzer or standalone" >&2
    exit 2
    ;;
esac
echo "fuzz: engine $engine ($cxx), ${seconds}s per target, seed $seed, output in $out"

# --- sources -------------------------------------------------------------------------
absl_libs="$(grep -o '"-labsl_[a-z0-9_]*"' tools/bazel/system.BUILD | tr -d '"' | tr '\n' ' ')"

# Workspace .cc files a Bazel target is built from (transitively, within //registry).
workspace_sources() {
  local label="$1"
  shift
  if [[ "${XDS_FUZZ_NO_BAZEL:-0}" != 1 ]]; then
    local listed
    if listed="$(bazel query "kind('source file', deps($label))" --output=label 2>/dev/null)"; then
      echo "$listed" | sed -n 's#^//\(registry/[^:]*\):\(.*\.cc\)$#\1/\2#p'
      return
    fi
    echo "fuzz: bazel query failed for $label; using the fallback file list" >&2
  fi
  printf '%s\n' "$@"
}

declare -A sources libs corpora
need_protos=0
for t in "${targets[@]}"; do
  case "$t" in
    mime)
      sources[mime]="registry/shared/mime/fuzz/mime_multipart_fuzz.cc $(workspace_sources //registry/shared/mime:mime_multipart \
        registry/shared/mime/mime_multipart.cc registry/shared/mime/base64.cc | tr '\n' ' ')"
      libs[mime]="-lssl -lcrypto $absl_libs -lpthread"
      corpora[mime]="registry/shared/mime/fuzz/corpus"
      ;;
    xml)
      need_protos=1
      fallback=$(ls registry/shared/ebrim/*.cc | grep -v '_test\.cc$' || true)
      sources[xml]="registry/shared/ebrim/fuzz/xml_fuzz.cc $(workspace_sources //registry/shared/ebrim:codec $fallback | tr '\n' ' ')"
      libs[xml]="-lpugixml -lprotobuf $absl_libs -lpthread"
      corpora[xml]="registry/shared/ebrim/fuzz/corpus"
      # Real submissions and queries as extra seeds when the reference material is there.
      for extra in tests/fixtures/iti42 "$shared/conformance/ipf/commons/ihe/xds/src/test/resources"; do
        if [[ -d "$extra" ]]; then corpora[xml]+=" $extra"; fi
      done
      ;;
    xua)
      # XUA assertions (SAML 2.0 + XML signature, xmlsec1) as the SOAP edge checks them.
      need_protos=1
      fallback=$(ls registry/shared/xua/*.cc registry/shared/soap/*.cc registry/shared/mime/*.cc registry/shared/ebrim/xml_util.cc |
        grep -v '_test\.cc$' || true)
      sources[xua]="registry/shared/xua/fuzz/assertion_fuzz.cc $( (workspace_sources //registry/shared/xua:check $fallback
        workspace_sources //registry/shared/xua:test_idp) | sort -u | tr '\n' ' ')"
      libs[xua]="-lxmlsec1-openssl -lxmlsec1 -lxslt -lxml2 -lpugixml -lprotobuf -lssl -lcrypto $absl_libs -lpthread"
      corpora[xua]="registry/shared/xua/fuzz/corpus"
      ;;
    hl7v2)
      # The patient identity feed's MLLP framer and HL7 v2 parser (ITI-8).
      sources[hl7v2]="registry/shared/hl7v2/fuzz/hl7v2_fuzz.cc $(workspace_sources //registry/shared/hl7v2:hl7v2 \
        registry/shared/hl7v2/hl7v2.cc registry/shared/hl7v2/mllp.cc | tr '\n' ' ')"
      libs[hl7v2]="$absl_libs -lpthread"
      corpora[hl7v2]="registry/shared/hl7v2/fuzz/corpus"
      ;;
    *)
      echo "fuzz: unknown target '$t' (known: mime xml xua hl7v2)" >&2
      exit 2
      ;;
  esac
done

if [[ $need_protos == 1 ]]; then
  if [[ "${XDS_FUZZ_NO_BAZEL:-0}" != 1 ]]; then
    bazel build //proto:all >"$out/bazel_build.log" 2>&1 || {
      cat "$out/bazel_build.log" >&2
      echo "fuzz: bazel build //proto:all failed" >&2
      exit 1
    }
  fi
  protos=$(ls bazel-bin/proto/*.pb.cc 2>/dev/null | grep -v '\.grpc\.pb\.cc$' || true)
  if [[ -z "$protos" ]]; then
    echo "fuzz: no generated protos in bazel-bin/proto; run bazel build //proto:all" >&2
    exit 1
  fi
  for t in xml xua; do
    if [[ -n "${sources[$t]:-}" ]]; then sources[$t]+=" $(echo $protos)"; fi
  done
fi

# --- build (a generated Makefile gives incremental rebuilds with header dependencies) ---
obj="$out/$engine/obj"
makefile="$out/$engine/Makefile"
mkdir -p "$obj" "$out/$engine"
{
  echo "CXX := $cxx"
  echo "CXXFLAGS := $compile_flags -I$root -I$root/bazel-bin $(pkg-config --cflags xmlsec1-openssl 2>/dev/null)"
  echo "OBJ := $obj"
  echo "all:"
  echo '$(OBJ)/%.o: %.cc'
  printf '\t@mkdir -p $(@D)\n'
  printf '\t@echo "  CXX $<"\n'
  printf '\t@$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@\n'
  for t in "${targets[@]}"; do
    objects=""
    for src in ${sources[$t]} ${driver[@]+"${driver[@]}"}; do objects+=" \$(OBJ)/${src%.cc}.o"; done
    bin="$out/$engine/${t}_fuzz"
    echo "all: $bin"
    echo "$bin:$objects"
    printf '\t@echo "  LINK $@"\n'
    printf '\t@$(CXX) %s $^ -o $@ %s\n' "$link_flags" "${libs[$t]}"
  done
  echo "-include \$(shell find $obj -name '*.d' 2>/dev/null)"
} >"$makefile"
make -s -C "$root" -f "$makefile" -j"$(nproc 2>/dev/null || echo 2)" all

# --- run -----------------------------------------------------------------------------
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}"
failed=()
for t in "${targets[@]}"; do
  bin="$out/$engine/${t}_fuzz"
  artifacts="$out/artifacts/$t/"
  log="$out/${t}_fuzz.log"
  mkdir -p "$artifacts"
  case "$t" in
    mime) dict=registry/shared/mime/fuzz/mime.dict ;;
    hl7v2) dict=registry/shared/hl7v2/fuzz/hl7v2.dict ;;
    *) dict=registry/shared/ebrim/fuzz/xml.dict ;;
  esac
  args=(-max_total_time="$seconds" -seed="$seed" -timeout=10 -artifact_prefix="$artifacts" -dict="$dict")
  # shellcheck disable=SC2206
  seed_dirs=(${corpora[$t]})
  if [[ "$engine" == libfuzzer ]]; then
    work="$out/corpus/$t"  # libFuzzer adds new coverage here; kept between runs
    mkdir -p "$work"
    args+=(-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "$work" "${seed_dirs[@]}")
  else
    args+=(-max_len=65536 "${seed_dirs[@]}")
  fi
  echo "fuzz: running $t for ${seconds}s (log: $log)"
  status=0
  "$bin" "${args[@]}" >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 ]] || grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|deadly signal|property violated' "$log"; then
    echo "fuzz: $t FAILED (exit $status); last lines of $log:" >&2
    tail -n 40 "$log" >&2
    failed+=("$t")
  else
    grep -E 'no crash|Done [0-9]+ runs|stat::number_of_executed_units' "$log" | tail -n 1 | sed "s/^/fuzz: $t ok: /"
  fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzz: FAILED targets: ${failed[*]} (inputs in $out/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets passed"
