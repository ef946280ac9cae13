// Slash commands in issue comments (`/plan`, `/approve`, ...): the parser
// that turns a comment body into at most one command, a mistyped command to
// answer with a suggestion, or nothing. Pure: no I/O and no authorization
// (the workflow decides who may do what, and in which state).
// Thread-safety: pure functions over immutable tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottega::github {

// fix: on the task's pull request, a change a person asks for (issue 13).
enum class CommandName { plan, revise, approve, cancel, retry, status, help, fix };

// The name without the slash: "plan", "revise", ...
std::string_view to_string(CommandName name);

// Every command of an issue, in the order /help lists them (also the order
// that breaks ties between equally close suggestions).
const std::vector<CommandName>& all_commands();

// The commands only a task's pull request takes (issue 13): /fix.
const std::vector<CommandName>& pull_commands();

// The command named `name` (no slash, any case), or nullopt.
std::optional<CommandName> command_from_string(std::string_view name);

struct Command {
  CommandName name = CommandName::help;
  // Trimmed. /plan, /retry and /approve (a plan revision): the rest of the
  // command's line. /revise: the
  // rest of its line and every line after it (line ends normalized to \n);
  // /fix likewise.
  // Empty for the commands that take no arguments.
  std::string args;
};

struct ParsedComment {
  enum class Kind {
    none,      // no command: ordinary discussion, or only code, quotes, paths
    command,   // `command` holds the first command of the comment
    mistyped,  // a `/word` close to a command name: reply with `suggestion`
  };
  Kind kind = Kind::none;
  Command command;         // kind == command
  std::string typed;       // kind == mistyped: what was written, e.g. "/aprove"
  std::string suggestion;  // kind == mistyped: the closest command, e.g. "/approve"
};

// What the argument of `/approve` names: nothing (approve the current
// revision), a plan revision, or something that is no revision (refused with
// the forms expected, never taken as "nothing"). A revision is written `2`,
// `r2` or `revision 2` (any case); sentence punctuation right after it and
// words after a space are allowed and ignored: `r1.`, `1 lgtm`, `2, thanks`.
// Anything else (`lgtm`, `#2`, `v2`, `2nd`, `1.5`) is invalid.
struct RevisionArgument {
  enum class Kind { none, revision, invalid };
  Kind kind = Kind::none;
  int revision = 0;  // kind == revision
};
RevisionArgument parse_revision_argument(std::string_view args);

// Finds the first line of `body` that starts (after at most three spaces)
// with `/name` followed by whitespace or the end of the line, where `name` is
// a command in any case. Lines in fenced code blocks (``` or ~~~), indented
// code (four spaces or a tab) and block quotes (`>`) are skipped, and so is
// every line GitHub does not show: in an HTML block that opens with `<!--`
// (to the line holding `-->`), `<script` or `<style`, or starting inside an
// inline HTML comment (`LGTM <!--` hides the next lines of its paragraph up
// to the `-->`), per CommonMark's HTML blocks and raw HTML. Quoting, pasting
// or hiding a command never runs it; hidden parts are not in `args` either.
// A `/word` of letters only that is no
// command but within edit distance 2 of one (and at least three letters)
// stops the search as `mistyped`; any other `/word` (`/usr/bin/env`, `/path`)
// is ordinary text. LF and CRLF line ends are accepted. Never fails.
ParsedComment parse_comment(std::string_view body);

}  // namespace bottega::github
