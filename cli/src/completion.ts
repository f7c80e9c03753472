// dyna completion bash|zsh: a shell script that completes dyna's commands,
// flags and operands, made from the CLI's own table of commands.

/** What an operand of a command is, for completing it. */
export type Operand =
  /** A task id: asked of cerebro with `dyna tasks --quiet`. */
  | "task"
  /** A run id: asked of cerebro with `dyna runs --quiet`. */
  | "run"
  | "file"
  /** One of dyna's commands. */
  | "command"
  /** One of these words. */
  | readonly string[];

/** What completion needs to know of a command. */
export interface CompletionSpec {
  /** Every flag it takes, with the common ones, by name without "--". */
  readonly flags: Readonly<Record<string, { readonly type: "string" | "boolean" }>>;
  /** Its operands in order. */
  readonly operands?: readonly Operand[];
  /** Whether the last operand repeats (`dyna run <task>...`). */
  readonly repeats?: boolean;
}

/** The shells there is a script for. */
export const SHELLS = ["bash", "zsh"] as const;
export type Shell = (typeof SHELLS)[number];

/** The values some flags take, wherever they appear. */
const FLAG_VALUES: Readonly<Record<string, readonly string[]>> = {
  mode: ["test", "normal"],
  role: ["server", "viewer", "operator", "admin"],
  auth: ["on", "off"],
  format: ["text", "json", "github"],
};

/** Only plain words go into the scripts: no quoting can go wrong. */
function word(text: string): string {
  if (!/^[A-Za-z0-9._:@/-]+$/.test(text)) throw new Error(`not a plain word: ${text}`);
  return text;
}

function words(list: Iterable<string>): string {
  return [...list].map(word).join(" ");
}

function flagList(flags: CompletionSpec["flags"], withValue?: boolean): string {
  return words(
    Object.entries(flags)
      .filter(([, option]) => withValue === undefined || (option.type === "string") === withValue)
      .map(([name]) => `--${name}`),
  );
}

function operandKind(operand: Operand): string {
  return typeof operand === "string" ? operand : `words ${words(operand)}`;
}

/**
 * The shell functions both scripts share (plain POSIX sh): the commands,
 * each command's flags and flags with a value, what each operand is, and
 * the values of some flags. `top` holds the flags of dyna itself.
 */
function tables(
  commands: Readonly<Record<string, CompletionSpec>>,
  top: CompletionSpec["flags"],
): string {
  const names = Object.keys(commands);
  const cases = (body: (name: string, spec: CompletionSpec) => string | undefined): string =>
    names
      .map((name) => {
        const line = body(name, commands[name] as CompletionSpec);
        return line === undefined ? undefined : `    ${line}`;
      })
      .filter((line) => line !== undefined)
      .join("\n");
  const operandCases = names.flatMap((name) => {
    const spec = commands[name] as CompletionSpec;
    const operands = spec.operands ?? [];
    const lines = operands.map(
      (operand, index) => `    ${word(name)}:${index}) echo '${operandKind(operand)}' ;;`,
    );
    const last = operands[operands.length - 1];
    if (spec.repeats && last !== undefined) {
      lines.push(`    ${word(name)}:*) echo '${operandKind(last)}' ;;`);
    }
    return lines;
  });
  return `_dyna_commands='${words(names)}'

# The flags of a command ("" for dyna itself).
_dyna_flags() {
  case "$1" in
${cases((name, spec) => `${word(name)}) echo '${flagList(spec.flags)}' ;;`)}
    *) echo '${flagList(top)}' ;;
  esac
}

# The flags of a command that take a value.
_dyna_value_flags() {
  case "$1" in
${cases((name, spec) => `${word(name)}) echo '${flagList(spec.flags, true)}' ;;`)}
    *) echo '${flagList(top, true)}' ;;
  esac
}

# What operand $2 (from 0) of command $1 is: task, run, file, command, or words ...
_dyna_operand() {
  case "$1:$2" in
${operandCases.join("\n")}
  esac
}

# The values of a flag, when it takes one of a few.
_dyna_flag_values() {
  case "$1" in
${Object.entries(FLAG_VALUES)
  .map(([flag, values]) => `    --${word(flag)}) echo '${words(values)}' ;;`)
  .join("\n")}
  esac
}

# Task or run ids from cerebro, through dyna itself ($1), with the
# --cerebro and --profile of the command line; nothing when it is not there.
_dyna_ask() {
  local dyna=$1 what=$2
  shift 2
  if command -v timeout >/dev/null 2>&1; then
    timeout 5 "$dyna" "$what" --quiet "$@" 2>/dev/null
  else
    "$dyna" "$what" --quiet "$@" 2>/dev/null
  fi
}`;
}

/**
 * The loop both shells run over the words before the cursor: finds the
 * command, counts its operands, and keeps --cerebro and --profile for
 * asking cerebro. `first` is the index of the word after "dyna".
 */
function scan(first: number, list: string, cword: string): string {
  return `  local command='' skip='' word
  local -i operand=0 i
  local -a reach
  reach=()
  for ((i = ${first}; i < ${cword}; i++)); do
    word=\${${list}[i]}
    if [[ -n $skip ]]; then
      skip=''
      continue
    fi
    case $word in
      --) return 0 ;;
      --cerebro|--profile)
        reach+=("$word" "\${${list}[i+1]}")
        skip=1
        ;;
      -*)
        [[ " $(_dyna_value_flags "$command") " == *" $word "* ]] && skip=1
        ;;
      *)
        if [[ -z $command ]]; then command=$word; else operand=$((operand + 1)); fi
        ;;
    esac
  done`;
}

function bashScript(shared: string): string {
  return `# bash completion for dyna, the Cordyna command line.
# In this shell:      source <(dyna completion bash)
# In every new one:   dyna completion bash > ~/.local/share/bash-completion/completions/dyna

${shared}

_dyna() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
${scan(1, "COMP_WORDS", "COMP_CWORD")}
  COMPREPLY=()
  if [[ $prev == -* && " $(_dyna_value_flags "$command") " == *" $prev "* ]]; then
    local values
    values=$(_dyna_flag_values "$prev")
    if [[ -n $values ]]; then
      COMPREPLY=($(compgen -W "$values" -- "$cur"))
    else
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_dyna_flags "$command")" -- "$cur"))
    return 0
  fi
  if [[ -z $command ]]; then
    COMPREPLY=($(compgen -W "$_dyna_commands" -- "$cur"))
    return 0
  fi
  local kind
  kind=$(_dyna_operand "$command" "$operand")
  case $kind in
    task) COMPREPLY=($(compgen -W "$(_dyna_ask "\${COMP_WORDS[0]}" tasks "\${reach[@]}")" -- "$cur")) ;;
    run) COMPREPLY=($(compgen -W "$(_dyna_ask "\${COMP_WORDS[0]}" runs "\${reach[@]}")" -- "$cur")) ;;
    command) COMPREPLY=($(compgen -W "$_dyna_commands" -- "$cur")) ;;
    file)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      ;;
    words\\ *) COMPREPLY=($(compgen -W "\${kind#words }" -- "$cur")) ;;
  esac
  return 0
}

complete -F _dyna dyna
`;
}

function zshScript(shared: string): string {
  return `#compdef dyna
# zsh completion for dyna, the Cordyna command line.
# In this shell (after compinit):  source <(dyna completion zsh)
# In every new one:                dyna completion zsh > "\${fpath[1]}/_dyna"

${shared}

_dyna() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
${scan(2, "words", "CURRENT")}
  local -a candidates
  if [[ $prev == -* && " $(_dyna_value_flags "$command") " == *" $prev "* ]]; then
    local values
    values=$(_dyna_flag_values "$prev")
    if [[ -n $values ]]; then
      candidates=(\${=values})
      compadd -a candidates
    else
      _files
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    candidates=(\${=$(_dyna_flags "$command")})
    compadd -a candidates
    return 0
  fi
  if [[ -z $command ]]; then
    candidates=(\${=_dyna_commands})
    compadd -a candidates
    return 0
  fi
  local kind
  kind=$(_dyna_operand "$command" "$operand")
  case $kind in
    task) candidates=(\${(f)"$(_dyna_ask "\${words[1]}" tasks "\${reach[@]}")"}) ;;
    run) candidates=(\${(f)"$(_dyna_ask "\${words[1]}" runs "\${reach[@]}")"}) ;;
    command) candidates=(\${=_dyna_commands}) ;;
    file)
      _files
      return 0
      ;;
    words\\ *) candidates=(\${=kind#words }) ;;
  esac
  compadd -a candidates
  return 0
}

# Autoloaded from $fpath, the file is _dyna's body: run it. Sourced, register it.
if [[ "\${funcstack[1]}" == _dyna ]]; then
  _dyna "$@"
else
  compdef _dyna dyna
fi
`;
}

/** The completion script for a shell, from the table of commands and dyna's own flags. */
export function completionScript(
  shell: Shell,
  commands: Readonly<Record<string, CompletionSpec>>,
  top: CompletionSpec["flags"],
): string {
  const shared = tables(commands, top);
  return shell === "bash" ? bashScript(shared) : zshScript(shared);
}
