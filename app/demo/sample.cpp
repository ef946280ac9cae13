#include "app/demo/sample.h"

#include <vector>

namespace bottega::demo {

std::map<std::string, std::string> sample_repository() {
  return {
      {"README.md",
       "# greeter\n\nPrints a greeting.\n\n    sh greet.sh Ada     # Hello, Ada!\n\n"
       "Tests: `sh test.sh`. CI runs `sh ci.sh` (the tests and `sh docs.sh`) on every push.\n"},
      {"greet.sh",
       "#!/bin/sh\n# greet.sh [NAME]: prints a greeting for NAME (default: world).\n"
       "name=${1:-world}\necho \"Hello, $name!\"\n"},
      {"test.sh",
       "#!/bin/sh\n# The tests: each check prints ok or FAIL; the exit status is the count of "
       "failures.\nfailures=0\ncheck() {\n  if [ \"$2\" = \"$3\" ]; then echo \"ok   $1\"; else "
       "echo \"FAIL $1: got '$2', want '$3'\"; failures=$((failures + 1)); fi\n}\n"
       "check \"greets by name\" \"$(sh greet.sh Ada)\" \"Hello, Ada!\"\n"
       "check \"greets the world\" \"$(sh greet.sh)\" \"Hello, world!\"\n"
       "exit $failures\n"},
      // What CI runs on every push (the demo's stand-in CI: stand_in_ci.h):
      // the tests, then a documentation check an agent that only runs
      // test.sh would miss.
      {"ci.sh",
       "#!/bin/sh\n# CI: the tests, then the documentation check; fails when either does.\n"
       "status=0\necho '== sh test.sh'\nsh test.sh || status=1\necho '== sh docs.sh'\n"
       "sh docs.sh || status=1\nexit $status\n"},
      {"docs.sh", R"sh(#!/bin/sh
# Every option greet.sh tests for ("--name" or "-x") must be in README.md,
# written `--name`. A missing one is reported as FILE:LINE: MESSAGE (CI
# makes it an annotation).
failures=0
for option in $(grep -o '"-[-a-z]*"' greet.sh | tr -d '"' | sort -u); do
  if grep -qF "\`$option\`" README.md; then
    echo "ok   README.md documents $option"
  else
    echo "README.md:1: the option $option of greet.sh is not documented"
    failures=$((failures + 1))
  fi
done
exit $failures
)sh"},
  };
}

SampleIssue sample_issue() {
  return {"Add a --shout option to greet.sh",
          "Sometimes a greeting should be loud:\n\n    sh greet.sh --shout Ada\n\nshould print "
          "`HELLO, ADA!`. Without the option nothing changes.\n\nPlease keep `sh test.sh` "
          "passing and add a test for the new option."};
}

namespace {

std::string scenario(const std::vector<std::string>& steps, int pause_ms) {
  std::string out;
  for (const auto& step : steps) {
    out += step + "\n";
    // A pause after what a person would read; none around the machine's bookkeeping.
    if (pause_ms > 0 && step.rfind("tool bottega signal", 0) != 0 && step.rfind("result", 0) != 0)
      out += "sleep " + std::to_string(pause_ms) + "\n";
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> agent_scenarios(int pause_ms) {
  return {
      {"plan", scenario({"text I'll read the repository before writing the plan.", "tool ls -la",
                         "tool cat greet.sh test.sh",
                         "thinking The option comes before the name. tr can upper-case the "
                         "greeting; the tests are plain sh, so a third check fits.",
                         "tool sh \"$DEMO_AGENT/plan.sh\"",
                         "text The plan is in the task document: two to-do items, tested with "
                         "`sh test.sh`.",
                         "tool bottega signal plan-ready", "result ok planned"},
                        pause_ms)},
      {"implement-1",
       scenario({"text Starting with greet.sh.", "tool sh \"$DEMO_AGENT/implement-1.sh\"",
                 "tool sh greet.sh --shout Ada", "tool sh test.sh",
                 "text The option works and the tests pass. Both items are done.",
                 "tool bottega signal ready", "result ok implemented"},
                pause_ms)},
      {"review-1",
       scenario({"text Reviewing the change against the plan.", "tool git diff", "tool sh test.sh",
                 "tool sh \"$DEMO_AGENT/review-1.sh\"",
                 "text test.sh has no check for --shout: the second item is not "
                 "done.",
                 "tool bottega signal needs-work --reason 'test.sh has no test for --shout'",
                 "result ok reviewed"},
                pause_ms)},
      {"implement-2", scenario({"text The reviewer is right: adding the test.",
                                "tool sh \"$DEMO_AGENT/implement-2.sh\"", "tool sh test.sh",
                                "text Three checks pass now.", "tool bottega signal ready",
                                "result ok implemented"},
                               pause_ms)},
      // Every fix turn on the pull request (fix-ci, address-review): fix.sh
      // reads fix-context.md and does what it asks.
      {"fix", scenario({"text Reading what the pull request needs.",
                        "tool sed -n '1,60p' \"$BOTTEGA_RUN_DIR/fix-context.md\"",
                        "tool sh \"$DEMO_AGENT/fix.sh\"", "tool git diff --stat", "tool sh ci.sh",
                        "text Done: `sh ci.sh` passes (the tests and the documentation check).",
                        "tool bottega signal ready", "result ok fixed"},
                       pause_ms)},
      {"review-2", scenario({"text Reviewing again.", "tool git diff", "tool sh test.sh",
                             "text Every item is done and tested: ready.",
                             "tool bottega signal ready", "result ok reviewed"},
                            pause_ms)},
  };
}

std::map<std::string, std::string> agent_scripts() {
  // Each rewrites files in place (same inode): the sandbox may bind the
  // task file itself.
  return {
      {"plan.sh", R"sh(set -e
head=$(sed '/^## Overview/,$d' "$BOTTEGA_TASK_FILE")
{
  printf '%s\n\n' "$head"
  cat <<'PLAN'
## Overview
Add a `--shout` option to `greet.sh` that prints the same greeting in capital letters.

## Implementation plan
1. In `greet.sh`, when the first argument is `--shout`, drop it and pipe the greeting through `tr '[:lower:]' '[:upper:]'`.
2. Add a check to `test.sh` for `sh greet.sh --shout Ada` → `HELLO, ADA!`.

## Testing strategy
`sh test.sh` runs every check; the new one covers the option, the old ones show nothing else changed.

## To-do
- [ ] `greet.sh` takes `--shout` and prints the greeting in capitals
- [ ] `test.sh` checks `--shout`

## Review findings
PLAN
} > "$BOTTEGA_TASK_FILE"
)sh"},
      {"implement-1.sh", R"sh(set -e
cat > greet.sh <<'EOF'
#!/bin/sh
# greet.sh [--shout] [NAME]: prints a greeting for NAME (default: world),
# in capitals with --shout.
shout=
if [ "$1" = "--shout" ]; then shout=1; shift; fi
greeting="Hello, ${1:-world}!"
if [ -n "$shout" ]; then
  echo "$greeting" | tr '[:lower:]' '[:upper:]'
else
  echo "$greeting"
fi
EOF
doc=$(sed 's/- \[ \]/- [x]/' "$BOTTEGA_TASK_FILE")
printf '%s\n' "$doc" > "$BOTTEGA_TASK_FILE"
)sh"},
      {"review-1.sh", R"sh(set -e
doc=$(sed 's/- \[x\] `test.sh` checks `--shout`/- [ ] `test.sh` checks `--shout`/' "$BOTTEGA_TASK_FILE")
printf '%s\n- FAIL (iteration 1): `test.sh` has no check for `--shout`.\n' "$doc" > "$BOTTEGA_TASK_FILE"
)sh"},
      // For a stand-in model that only knows to run one command: the turn
      // the role and iteration call for, with its signal.
      {"turn.sh", R"sh(set -e
here=$(dirname "$0")
case "$BOTTEGA_ROLE-$BOTTEGA_ITERATION" in
  plan-*) sh "$here/plan.sh"; bottega signal plan-ready ;;
  implement-1) sh "$here/implement-1.sh"; bottega signal ready ;;
  review-1) sh "$here/review-1.sh"; bottega signal needs-work --reason 'test.sh has no test for --shout' ;;
  implement-*) sh "$here/implement-2.sh"; bottega signal ready ;;
  fix-*) sh "$here/fix.sh"; bottega signal ready ;;
  *) bottega signal ready ;;
esac
)sh"},
      // A fix turn on the pull request: what fix-context.md asks for. A
      // failing docs check names the undocumented options; an inline
      // comment (the demo's review) asks for `-s` as a short `--shout`.
      {"fix.sh", R"sh(set -e
ctx="$BOTTEGA_RUN_DIR/fix-context.md"
document() {
  grep -qF "\`$1\`" README.md && return 0
  grep -q '^## Options' README.md || printf '\n## Options\n\n' >> README.md
  printf -- '- `%s`: %s\n' "$1" "$2" >> README.md
}
for option in $(sed -n 's/.*the option \([-a-z]*\) of greet.sh is not documented.*/\1/p' "$ctx" | sort -u); do
  case "$option" in
    --shout) document --shout 'prints the greeting in capital letters' ;;
    *) document "$option" 'see greet.sh' ;;
  esac
done
ids=$(sed -n 's/^## Inline comment \([0-9]*\) by .*/\1/p' "$ctx")
if [ -n "$ids" ]; then
  sed 's/^if \[ "$1" = "--shout" \]; then/if [ "$1" = "--shout" ] || [ "$1" = "-s" ]; then/' greet.sh > greet.sh.new
  cat greet.sh.new > greet.sh && rm greet.sh.new
  body=$(sed '$d' test.sh)
  printf '%s\n%s\n%s\n' "$body" 'check "shouts with -s" "$(sh greet.sh -s Ada)" "HELLO, ADA!"' 'exit $failures' > test.sh
  document -s 'short for `--shout`'
  answer='Done: `-s` is the short form of `--shout` now, with a test and a line in the README.'
  { printf '{'; sep=; for id in $ids; do printf '%s"%s": "%s"' "$sep" "$id" "$answer"; sep=', '; done; printf '}\n'; } > "$BOTTEGA_RUN_DIR/replies.json"
fi
)sh"},
      {"implement-2.sh", R"sh(set -e
body=$(sed '$d' test.sh)
printf '%s\n%s\n%s\n' "$body" 'check "shouts" "$(sh greet.sh --shout Ada)" "HELLO, ADA!"' 'exit $failures' > test.sh
doc=$(sed 's/- \[ \]/- [x]/' "$BOTTEGA_TASK_FILE")
printf '%s\n' "$doc" > "$BOTTEGA_TASK_FILE"
)sh"},
  };
}

}  // namespace bottega::demo
