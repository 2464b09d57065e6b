#include "cli/completion.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace migctl::cli {
namespace {

bool Visible(const CLI::App* app) { return !app->get_group().empty(); }

// The choices of an option checked by CLI::IsMember: its type name reads
// "TEXT:{table,json}".
std::vector<std::string> Choices(const CLI::Option& opt) {
  const std::string type = opt.get_type_name();
  const size_t open = type.find('{');
  const size_t close = type.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  return absl::StrSplit(type.substr(open + 1, close - open - 1), ',');
}

// What the value of `opt` is, as the script's `_migctl_value` completes it:
// words:A B, file, dir, config (a config name of the -f file), profile (a
// profile of the command's MODEL argument), model, gpu (a GPU index of the
// node), or any.
std::string ValueKind(const CLI::Option& opt) {
  if (std::vector<std::string> choices = Choices(opt); !choices.empty()) {
    return absl::StrCat("words:", absl::StrJoin(choices, " "));
  }
  const std::string p = opt.get_positional() ? opt.get_name() : "";
  const std::vector<std::string>& l = opt.get_lnames();
  auto named = [&](absl::string_view n) {
    return p == n || std::find(l.begin(), l.end(), n) != l.end();
  };
  if (named("selected-config")) return "config";
  if (named("with")) return "profile";
  if (named("model") || named("gpu")) return "model";
  if (named("id")) return "gpu";
  if (named("state") || named("sim") || named("kubeconfig") ||
      named("journal")) {
    return "file";
  }
  for (const std::string& n : l) {
    if (absl::StrContains(n, "file") || absl::EndsWith(n, "-socket")) {
      return "file";
    }
    if (absl::EndsWith(n, "-dir") || absl::EndsWith(n, "-root")) return "dir";
  }
  return "any";
}

struct Tables {
  std::vector<std::string> subs, opts, values, positionals;
};

void Walk(const CLI::App& app, const std::string& path, Tables& t) {
  std::vector<std::string> subs;
  for (const CLI::App* sub : app.get_subcommands(Visible)) {
    subs.push_back(sub->get_name());
  }
  if (!subs.empty()) {
    t.subs.push_back(
        absl::StrCat("  ['", path, "']='", absl::StrJoin(subs, " "), "'"));
  }
  std::vector<std::string> names;
  bool positional_done = false;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;
    if (opt->get_positional() && opt->get_lnames().empty() &&
        opt->get_snames().empty()) {
      if (!positional_done) {
        t.positionals.push_back(
            absl::StrCat("  ['", path, "']='", ValueKind(*opt), "'"));
        positional_done = true;
      }
      continue;
    }
    std::vector<std::string> option_names;
    for (const std::string& s : opt->get_snames()) {
      option_names.push_back("-" + s);
    }
    for (const std::string& l : opt->get_lnames()) {
      option_names.push_back("--" + l);
    }
    for (const std::string& n : option_names) {
      names.push_back(n);
      if (opt->get_expected_max() > 0) {
        t.values.push_back(
            absl::StrCat("  ['", path, "|", n, "']='", ValueKind(*opt), "'"));
      }
    }
  }
  t.opts.push_back(
      absl::StrCat("  ['", path, "']='", absl::StrJoin(names, " "), "'"));
  for (const CLI::App* sub : app.get_subcommands(Visible)) {
    Walk(*sub, path + " " + sub->get_name(), t);
  }
}

// Shared by both shells. In zsh each function first switches to zsh
// emulation with 0-based arrays and split unquoted expansions, so it reads
// as bash; zsh's compgen (bashcompinit) is not used: it ignores the word
// being completed.
constexpr absl::string_view kFunctions = R"bash(
# Adds to COMPREPLY, each prefixed with $1, the further arguments that start
# with $2.
_migctl_add() {
  local pre="$1" cur="$2" w
  shift 2
  for w in "$@"; do
    [[ "$w" == "$cur"* ]] && COMPREPLY+=("$pre$w")
  done
  return 0
}

# Marks the replies as file names ($1 = filenames) or as not to be followed
# by a space ($1 = nospace): compopt in bash, read by _migctl_zsh in zsh.
_migctl_opt() {
  if [[ -n "${ZSH_VERSION:-}" ]]; then
    _migctl_zsh_opts+=" $1"
  else
    compopt -o "$1" 2>/dev/null
  fi
  return 0
}

# Adds the files (-f) or directories (-d) named $3 starting with $2, each
# prefixed with $1.
_migctl_files() {
  [[ -n "${ZSH_VERSION:-}" ]] && { emulate -L zsh; setopt nullglob; }
  local pre="$1" cur="$2" f
  _migctl_opt filenames
  if [[ -z "${ZSH_VERSION:-}" ]]; then
    COMPREPLY+=($(compgen -P "$pre" "$3" -- "$cur"))
    return 0
  fi
  for f in "$cur"*; do
    [[ "$3" == -f || -d "$f" ]] && COMPREPLY+=("$pre$f")
  done
  return 0
}

# Prints the value the line gives option $1 or $2: `$1 V`, `$2 V`, `$2=V`
# (bash splits that into `$2`, `=`, `V`).
_migctl_find() {
  [[ -n "${ZSH_VERSION:-}" ]] && { emulate -L zsh; setopt ksharrays; }
  local i w v=""
  for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
    ((i == COMP_CWORD)) && continue
    w="${COMP_WORDS[i]}"
    if [[ "$w" == "$1" || "$w" == "$2" ]]; then
      v="${COMP_WORDS[i + 1]}"
      [[ "$v" == "=" ]] && v="${COMP_WORDS[i + 2]}"
    elif [[ "$w" == "$2="* ]]; then
      v="${w#*=}"
    fi
  done
  printf '%s' "$v"
}

# Completes the value of an option (or argument) whose kind is $1: $2 is
# the value typed so far, $3 what precedes it in its word (`--flag=`).
_migctl_value() {
  [[ -n "${ZSH_VERSION:-}" ]] && { emulate -L zsh; setopt ksharrays shwordsplit; }
  local kind="$1" cur="$2" pre="$3" file sim
  local -a args
  case "$kind" in
    words:*) _migctl_add "$pre" "$cur" ${kind#words:} ;;
    file) _migctl_files "$pre" "$cur" -f ;;
    dir) _migctl_files "$pre" "$cur" -d ;;
    model) _migctl_add "$pre" "$cur" $("${COMP_WORDS[0]}" __complete models 2>/dev/null) ;;
    config)
      file="$(_migctl_find -f --config-file)"
      args=(__complete config-names)
      [[ -n "$file" ]] && args+=(-f "$file")
      _migctl_add "$pre" "$cur" $("${COMP_WORDS[0]}" "${args[@]}" 2>/dev/null) ;;
    gpu)
      # The node is --sim STATE, the STATE argument of `sim` commands, or the
      # driver.
      sim="$(_migctl_find --sim --sim)"
      [[ -z "$sim" && "$_migctl_cmd" == "migctl sim "* ]] && sim="$_migctl_arg"
      args=(__complete gpus)
      [[ -n "$sim" ]] && args=(--sim "$sim" "${args[@]}")
      _migctl_add "$pre" "$cur" $("${COMP_WORDS[0]}" "${args[@]}" 2>/dev/null) ;;
    profile)
      local head="" last="$cur"
      if [[ "$cur" == *,* ]]; then head="${cur%,*},"; last="${cur##*,}"; fi
      _migctl_add "$pre$head" "$last" $("${COMP_WORDS[0]}" __complete profiles $_migctl_arg 2>/dev/null)
      _migctl_opt nospace ;;
  esac
  return 0
}

# Completes COMP_WORDS[COMP_CWORD] into COMPREPLY. Sets _migctl_cmd (the
# command path, e.g. "migctl sim create") and _migctl_arg (its first
# argument).
_migctl() {
  [[ -n "${ZSH_VERSION:-}" ]] && { emulate -L zsh; setopt ksharrays shwordsplit; }
  local cur="${COMP_WORDS[COMP_CWORD]}" w i kind
  _migctl_cmd="migctl"
  _migctl_arg=""
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ -n "${_migctl_values[$_migctl_cmd|$w]+x}" ]]; then
      kind="${_migctl_values[$_migctl_cmd|$w]}"
      # bash splits `--flag=value` into `--flag`, `=`, `value`.
      [[ "${COMP_WORDS[i + 1]}" == "=" ]] && ((i++))
      if ((i == COMP_CWORD)); then
        _migctl_value "$kind" "" ""
        return 0
      elif ((i + 1 == COMP_CWORD)); then
        _migctl_value "$kind" "$cur" ""
        return 0
      fi
      ((i++))
    elif [[ " ${_migctl_subs[$_migctl_cmd]} " == *" $w "* ]]; then
      _migctl_cmd="$_migctl_cmd $w"
    elif [[ "$w" != -* && -z "$_migctl_arg" ]]; then
      _migctl_arg="$w"
    fi
  done
  if [[ "$cur" == --*=* ]]; then
    # zsh keeps `--flag=value` one word.
    w="${cur%%=*}"
    kind="${_migctl_values[$_migctl_cmd|$w]}"
    [[ -n "$kind" ]] && _migctl_value "$kind" "${cur#*=}" "$w="
  elif [[ "$cur" == -* ]]; then
    _migctl_add "" "$cur" ${_migctl_opts[$_migctl_cmd]}
  elif [[ -n "${_migctl_subs[$_migctl_cmd]}" ]]; then
    _migctl_add "" "$cur" ${_migctl_subs[$_migctl_cmd]}
  elif [[ -n "${_migctl_positionals[$_migctl_cmd]}" && -z "$_migctl_arg" ]]; then
    _migctl_value "${_migctl_positionals[$_migctl_cmd]}" "$cur" ""
  fi
  return 0
}
)bash";

constexpr absl::string_view kBashRegistration = "complete -F _migctl migctl\n";

// zsh runs _migctl on its own words and adds the replies itself, so that
// `--flag=` and a directory part stay out of the listed candidates.
constexpr absl::string_view kZshRegistration = R"zsh(
# Completes migctl in zsh: _migctl on zsh's words, replies added with compadd.
_migctl_zsh() {
  local -a COMP_WORDS COMPREPLY suf
  local COMP_CWORD=$((CURRENT - 1)) _migctl_zsh_opts=""
  COMP_WORDS=("${words[@]}")
  _migctl
  [[ "$_migctl_zsh_opts" == *nospace* ]] && suf=(-S '')
  if [[ "$PREFIX" == --*=* ]] && compset -P 1 '*='; then
    COMPREPLY=("${COMPREPLY[@]#*=}")
  fi
  if [[ "$_migctl_zsh_opts" == *filenames* ]]; then
    compset -P '*/' && COMPREPLY=("${COMPREPLY[@]##*/}")
    compadd -f "${suf[@]}" -a COMPREPLY
  else
    compadd "${suf[@]}" -a COMPREPLY
  fi
}
compdef _migctl_zsh migctl
)zsh";

// The tables of the command tree, then the functions.
std::string Script(const CLI::App& app) {
  Tables t;
  Walk(app, "migctl", t);
  auto table = [](absl::string_view name, absl::string_view what,
                  const std::vector<std::string>& rows) {
    return absl::StrCat("# ", what, "\ndeclare -gA ", name, "=(\n",
                        absl::StrJoin(rows, "\n"), "\n)\n");
  };
  return absl::StrCat(
      table("_migctl_subs", "command -> its subcommands", t.subs),
      table("_migctl_opts", "command -> its options", t.opts),
      table("_migctl_values",
            "'command|option' -> what its value is (the option takes one)",
            t.values),
      table("_migctl_positionals", "command -> what its first argument is",
            t.positionals),
      kFunctions);
}

}  // namespace

std::string BashCompletion(const CLI::App& app) {
  return absl::StrCat(
      "# bash completion for migctl, generated by `migctl completion bash`.\n"
      "# Load it with: source <(migctl completion bash)\n",
      Script(app), kBashRegistration);
}

std::string ZshCompletion(const CLI::App& app) {
  return absl::StrCat(
      "# zsh completion for migctl, generated by `migctl completion zsh`.\n"
      "# Load it with: source <(migctl completion zsh)\n"
      "(( $+functions[compdef] )) || { autoload -U compinit && compinit; }\n",
      Script(app), kZshRegistration);
}

}  // namespace migctl::cli
