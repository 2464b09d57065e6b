#include "config/hooks.h"

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "config/mig_config.h"
#include "config/yaml_support.h"
#include "util/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace migctl::config {
namespace {

constexpr absl::string_view kHookNames =
    "apply-start, pre-apply-mode, pre-apply-config, apply-exit";
constexpr absl::string_view kCommandKeys = "command, args, envs, workdir";

class HooksParser {
 public:
  explicit HooksParser(absl::string_view file) : file_(file) {}

  absl::StatusOr<HooksFile> File(const YAML::Node& root) const {
    if (!root.IsMap()) {
      return Error(root,
                   root.IsNull()
                       ? "the document is empty"
                       : absl::StrCat("the document is ", Describe(root)),
                   "expected a map with keys version and hooks");
    }
    const YAML::Node version = root["version"];
    if (!version) {
      return Error(root, "missing key \"version\"", "expected version: v1");
    }
    if (!version.IsScalar() || version.Scalar() != "v1") {
      return Error(version.IsNull() ? root : version,
                   absl::StrCat("unknown version ", Describe(version)),
                   "expected version: v1");
    }
    HooksFile hooks;
    std::set<std::string> seen;
    for (auto it = root.begin(); it != root.end(); ++it) {
      RETURN_IF_ERROR(Key(it->first, seen));
      const std::string& key = it->first.Scalar();
      if (key == "version") continue;
      if (key != "hooks") {
        return Error(it->first, absl::StrCat("unknown key \"", key, "\""),
                     "valid keys are version, hooks");
      }
      RETURN_IF_ERROR(Hooks(it->second, hooks));
    }
    return hooks;
  }

 private:
  absl::Status Error(const YAML::Node& at, absl::string_view problem,
                     absl::string_view valid) const {
    return ErrorAt(ToMark(file_, at.Mark()), problem, valid);
  }

  // Keys are strings, each once per map.
  absl::Status Key(const YAML::Node& key, std::set<std::string>& seen) const {
    if (!key.IsScalar()) {
      return Error(key, absl::StrCat("key is ", Describe(key)),
                   "expected a string");
    }
    if (!seen.insert(key.Scalar()).second) {
      return Error(key, absl::StrCat("duplicate key \"", key.Scalar(), "\""),
                   "expected each key once");
    }
    return absl::OkStatus();
  }

  absl::Status Hooks(const YAML::Node& value, HooksFile& hooks) const {
    if (value.IsNull()) return absl::OkStatus();
    if (!value.IsMap()) {
      return Error(value, absl::StrCat("\"hooks\" is ", Describe(value)),
                   absl::StrCat("expected a map with keys ", kHookNames));
    }
    std::set<std::string> seen;
    for (auto it = value.begin(); it != value.end(); ++it) {
      RETURN_IF_ERROR(Key(it->first, seen));
      const std::string& name = it->first.Scalar();
      if (name != kApplyStart && name != kPreApplyMode &&
          name != kPreApplyConfig && name != kApplyExit) {
        return Error(it->first, absl::StrCat("unknown hook \"", name, "\""),
                     absl::StrCat("valid hooks are ", kHookNames));
      }
      ASSIGN_OR_RETURN(hooks.hooks[name], Commands(name, it->second));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<HookCommand>> Commands(
      const std::string& name, const YAML::Node& value) const {
    std::vector<HookCommand> commands;
    if (value.IsNull()) return commands;
    if (!value.IsSequence()) {
      return Error(
          value, absl::StrCat("hook \"", name, "\" is ", Describe(value)),
          absl::StrCat("expected a list of maps with keys ", kCommandKeys));
    }
    for (const YAML::Node& item : value) {
      ASSIGN_OR_RETURN(HookCommand command, Command(name, item));
      commands.push_back(std::move(command));
    }
    return commands;
  }

  absl::StatusOr<HookCommand> Command(const std::string& name,
                                      const YAML::Node& node) const {
    if (!node.IsMap()) {
      return Error(
          node,
          absl::StrCat("command of hook \"", name, "\" is ", Describe(node)),
          absl::StrCat("expected a map with keys ", kCommandKeys));
    }
    HookCommand command;
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key_node = it->first;
      const YAML::Node value = it->second;
      RETURN_IF_ERROR(Key(key_node, seen));
      const std::string& key = key_node.Scalar();
      const YAML::Node& at = value.IsNull() ? key_node : value;
      if (key == "command" || key == "workdir") {
        if (!value.IsScalar() || value.Scalar().empty()) {
          return Error(at, absl::StrCat("\"", key, "\" is ", Describe(value)),
                       key == "command" ? "expected a program to run"
                                        : "expected a directory");
        }
        (key == "command" ? command.command : command.workdir) = value.Scalar();
      } else if (key == "args") {
        RETURN_IF_ERROR(Args(at, value, command.args));
      } else if (key == "envs") {
        RETURN_IF_ERROR(Envs(at, value, command.envs));
      } else {
        return Error(key_node, absl::StrCat("unknown key \"", key, "\""),
                     absl::StrCat("valid keys are ", kCommandKeys));
      }
    }
    if (command.command.empty()) {
      return Error(node, "missing key \"command\"",
                   "expected the program to run, e.g. command: /bin/sh");
    }
    return command;
  }

  absl::Status Args(const YAML::Node& at, const YAML::Node& value,
                    std::vector<std::string>& args) const {
    if (!value.IsSequence()) {
      return Error(at, absl::StrCat("\"args\" is ", Describe(value)),
                   "expected a list of strings");
    }
    for (const YAML::Node& arg : value) {
      if (!arg.IsScalar()) {
        return Error(arg, absl::StrCat("argument is ", Describe(arg)),
                     "expected a string");
      }
      args.push_back(arg.Scalar());
    }
    return absl::OkStatus();
  }

  absl::Status Envs(const YAML::Node& at, const YAML::Node& value,
                    std::vector<std::string>& envs) const {
    if (!value.IsMap()) {
      return Error(at, absl::StrCat("\"envs\" is ", Describe(value)),
                   "expected a map of variable names to values");
    }
    std::set<std::string> seen;
    for (auto it = value.begin(); it != value.end(); ++it) {
      RETURN_IF_ERROR(Key(it->first, seen));
      if (!it->second.IsScalar()) {
        return Error(it->second.IsNull() ? it->first : it->second,
                     absl::StrCat("value of \"", it->first.Scalar(), "\" is ",
                                  Describe(it->second)),
                     "expected a string");
      }
      envs.push_back(
          absl::StrCat(it->first.Scalar(), "=", it->second.Scalar()));
    }
    return absl::OkStatus();
  }

  std::string file_;
};

}  // namespace

absl::StatusOr<HooksFile> ParseHooks(absl::string_view yaml,
                                     absl::string_view filename) {
  try {
    return HooksParser(filename).File(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(filename, e);
  }
}

absl::StatusOr<HooksFile> LoadHooks(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParseHooks(text, path);
}

}  // namespace migctl::config
