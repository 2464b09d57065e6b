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
// profile of the command's MODEL argument), model, or any.
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
  if (named("state") || named("sim") || named("kubeconfig") ||
      named("journal")) {
    return "file";
  }
  for (const std::string& n : l) {
    if (absl::StrContains(n, "file")) return "file";
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

constexpr absl::string_view kFunctions = R"bash(
# Completes the value of an option (or argument) whose kind is $1.
_migctl_value() {
  [[ -n "${ZSH_VERSION:-}" ]] && setopt localoptions ksharrays
  local kind="$1" cur="$2" file="" model="" i
  case "$kind" in
    words:*) COMPREPLY=($(compgen -W "${kind#words:}" -- "$cur")) ;;
    file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    model) COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete models 2>/dev/null)" -- "$cur")) ;;
    config)
      for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case "${COMP_WORDS[i]}" in -f | --config-file) file="${COMP_WORDS[i + 1]}" ;; esac
      done
      COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete config-names ${file:+-f "$file"} 2>/dev/null)" -- "$cur")) ;;
    profile)
      model="$_migctl_arg"
      local head="" last="$cur"
      if [[ "$cur" == *,* ]]; then head="${cur%,*},"; last="${cur##*,}"; fi
      COMPREPLY=($(compgen -P "$head" -W "$("${COMP_WORDS[0]}" __complete profiles $model 2>/dev/null)" -- "$last"))
      compopt -o nospace 2>/dev/null ;;
  esac
}

_migctl() {
  [[ -n "${ZSH_VERSION:-}" ]] && setopt localoptions ksharrays
  local cur="${COMP_WORDS[COMP_CWORD]}" path="migctl" w i
  _migctl_arg=""
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ -n "${_migctl_values["$path|$w"]+x}" ]]; then
      if ((i + 1 == COMP_CWORD)); then
        _migctl_value "${_migctl_values["$path|$w"]}" "$cur"
        return 0
      fi
      ((i++))
    elif [[ " ${_migctl_subs["$path"]} " == *" $w "* ]]; then
      path="$path $w"
    elif [[ "$w" != -* && -z "$_migctl_arg" ]]; then
      _migctl_arg="$w"
    fi
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "${_migctl_opts["$path"]}" -- "$cur"))
  elif [[ -n "${_migctl_subs["$path"]}" ]]; then
    COMPREPLY=($(compgen -W "${_migctl_subs["$path"]}" -- "$cur"))
  elif [[ -n "${_migctl_positionals["$path"]}" && -z "$_migctl_arg" ]]; then
    _migctl_value "${_migctl_positionals["$path"]}" "$cur"
  fi
  return 0
}
complete -F _migctl migctl
)bash";

}  // namespace

std::string BashCompletion(const CLI::App& app) {
  Tables t;
  Walk(app, "migctl", t);
  auto table = [](absl::string_view name, absl::string_view what,
                  const std::vector<std::string>& rows) {
    return absl::StrCat("# ", what, "\ndeclare -gA ", name, "=(\n",
                        absl::StrJoin(rows, "\n"), "\n)\n");
  };
  return absl::StrCat(
      "# bash completion for migctl, generated by `migctl completion bash`.\n"
      "# Load it with: source <(migctl completion bash)\n",
      table("_migctl_subs", "command -> its subcommands", t.subs),
      table("_migctl_opts", "command -> its options", t.opts),
      table("_migctl_values",
            "'command|option' -> what its value is (the option takes one)",
            t.values),
      table("_migctl_positionals", "command -> what its first argument is",
            t.positionals),
      kFunctions);
}

std::string ZshCompletion(const CLI::App& app) {
  return absl::StrCat(
      "# zsh completion for migctl, generated by `migctl completion zsh`.\n"
      "# Load it with: source <(migctl completion zsh)\n"
      "autoload -U +X bashcompinit && bashcompinit\n",
      BashCompletion(app));
}

}  // namespace migctl::cli
