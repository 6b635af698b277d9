# Shared by the scripts (sourced, not run): installing Debian packages and the test classpath of a module.

# ensure_packages WHO PACKAGE...: installs the packages that are missing (as root; otherwise says what is missing).
ensure_packages() {
  local who=$1 p missing=()
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "$who: missing packages ${missing[*]}; run as root to install them" >&2
    return 1
  fi
  echo "$who: installing ${missing[*]}" >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# test_classpath ROOT MODULE: the module's test classes, classes and test-scope dependencies (built by mvn).
test_classpath() {
  local m="$1/$2"
  echo "$m/target/test-classes:$m/target/classes:$(cat "$m/target/test-classpath.txt")"
}
