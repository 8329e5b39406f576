#!/usr/bin/env bash
# Pre-merge check of changed meshctl topologies, without a cluster (docs/gitops.md).
#
#   bash scripts/gitops-check.sh BASE_REF [FILE...]
#
# 1. Files: the FILEs given, or else the topologies changed between the merge base of
#    BASE_REF and HEAD (`git diff --name-only BASE_REF...HEAD`) that match
#    $MESHCTL_TOPOLOGIES. Paths are relative to the current directory, and only its
#    subtree is searched: run it from the repository root to check the whole repository.
# 2. `meshctl validate --output $MESHCTL_VALIDATE_OUTPUT OTHER... FILE...` (annotations),
#    where OTHER are the repository's unchanged topologies matching $MESHCTL_TOPOLOGIES
#    (files with a top-level `kind: Topology` or a meshctl.io/ apiVersion, CRLF or not),
#    so a change whose subnets or pools overlap another topology fails (E080, reported
#    on the changed file). MESHCTL_FLEET=0 validates the changed files alone.
# 3. For each file: its text at the merge base (`git show MERGE_BASE:FILE`, empty when
#    the file is new) and `meshctl plan --base base.yaml FILE --output markdown`. A base
#    that was invalid (the change fixes it) does not fail the check: meshctl plans against
#    what it declares, or against nothing, with a note. Messages name the base
#    `FILE@BASE_REF`, never the temporary copy.
# 4. The Markdown (plans, or the validation report) goes to $MESHCTL_SUMMARY.
#
# Exit status: 0 all valid and planned · 1 invalid topology or failed plan · 2 usage.
#
# Environment:
#   MESHCTL                  the meshctl binary (default: meshctl on PATH)
#   MESHCTL_TOPOLOGIES       whitespace-separated patterns for changed files
#                            (default `**/topology*.yaml **/topology*.yml`; `*` also
#                            matches `/`, and a leading `**/` also matches files at the
#                            repository root)
#   MESHCTL_FLEET            0: do not validate the unchanged topologies too
#   MESHCTL_VALIDATE_OUTPUT  validate's --output (default: github under GitHub Actions,
#                            human elsewhere)
#   MESHCTL_SUMMARY          file the Markdown is appended to (default:
#                            $GITHUB_STEP_SUMMARY when set, else stdout; annotations then
#                            go to stderr so the two do not mix)
set -euo pipefail

usage() {
    echo "usage: gitops-check.sh BASE_REF [FILE...]" >&2
    exit 2
}
[[ $# -ge 1 && -n $1 && $1 != -* ]] || usage
base_ref=$1
shift

meshctl=${MESHCTL:-meshctl}
patterns=${MESHCTL_TOPOLOGIES:-'**/topology*.yaml **/topology*.yml'}
# A line that marks a YAML file as a meshctl topology (see `looks_like_topology` in
# src/cli/inputs.rs): a top-level `kind: Topology`, or an apiVersion naming meshctl.io/.
topology_line=$'^(\xef\xbb\xbf)?(kind|"kind"|\'kind\')[ \t]*:[ \t]*("Topology"|\'Topology\'|Topology)[ \t]*(#.*)?\r?$|^(\xef\xbb\xbf)?(apiVersion|"apiVersion"|\'apiVersion\')[ \t]*:.*meshctl\.io/'
if [[ -n ${MESHCTL_VALIDATE_OUTPUT:-} ]]; then
    validate_output=$MESHCTL_VALIDATE_OUTPUT
elif [[ ${GITHUB_ACTIONS:-} == true ]]; then
    validate_output=github
else
    validate_output=human
fi
summary=${MESHCTL_SUMMARY:-${GITHUB_STEP_SUMMARY:-}}

if ! merge_base=$(git merge-base "$base_ref" HEAD); then
    echo "gitops-check: cannot find the merge base of '$base_ref' and HEAD" \
        "(fetch the history: actions/checkout with fetch-depth: 0)" >&2
    exit 1
fi

# Markdown goes to the summary file, or to stdout with annotations moved to stderr.
if [[ -n $summary ]]; then
    exec 3>>"$summary"
    exec 4>&1
else
    exec 3>&1
    exec 4>&2
fi

matches() {
    local file=$1 pattern
    for pattern in $patterns; do
        # shellcheck disable=SC2053 # the pattern is a glob on purpose
        if [[ $file == $pattern || ($pattern == '**/'* && $file == ${pattern#'**/'}) ]]; then
            return 0
        fi
    done
    return 1
}

files=()
removed=()
if [[ $# -gt 0 ]]; then
    files=("$@")
else
    set -f # the patterns are matched below, not expanded against the work tree
    while IFS= read -r -d '' status && IFS= read -r -d '' file; do
        matches "$file" || continue
        if [[ $status == D ]]; then
            removed+=("$file")
        else
            files+=("$file")
        fi
    done < <(git diff -z --name-status --no-renames --relative "$merge_base" HEAD --)
    set +f
fi

if [[ ${#files[@]} -eq 0 && ${#removed[@]} -eq 0 ]]; then
    echo "## meshctl: no topology changed" >&3
    exit 0
fi

echo "## meshctl: ${#files[@]} topology file(s) changed" >&3
for file in ${removed[@]+"${removed[@]}"}; do
    printf '\n### `%s`\n\nRemoved. Merging does not destroy its clusters: run `meshctl destroy` against the old revision for that.\n' "$file" >&3
done
[[ ${#files[@]} -gt 0 ]] || exit 0

# The unchanged topologies of the repository come first: an overlap between two files
# is reported on the later one, which is then the changed file.
fleet=()
if [[ ${MESHCTL_FLEET:-1} != 0 ]]; then
    set -f
    while IFS= read -r -d '' file; do
        matches "$file" && [[ -f $file ]] || continue
        # Like `meshctl validate DIR`: a top-level `kind: Topology` or a meshctl.io/
        # apiVersion, quoted or not, with CRLF line ends or a byte-order mark.
        grep -qE "$topology_line" "$file" || continue
        for changed in "${files[@]}"; do
            [[ $file -ef $changed ]] && continue 2
        done
        fleet+=("$file")
    done < <(git ls-files -z)
    set +f
fi

if ! "$meshctl" validate --output "$validate_output" ${fleet[@]+"${fleet[@]}"} "${files[@]}" >&4; then
    printf '\n### Validation failed\n\nNo plan is shown until every changed topology is valid.\n\n```text\n' >&3
    NO_COLOR=1 "$meshctl" validate --output human ${fleet[@]+"${fleet[@]}"} "${files[@]}" >&3 2>&3 || true
    printf '```\n' >&3
    exit 1
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# Prints FILE with every occurrence of the temporary base path replaced by LABEL, so no
# message shows the temp file as if it were the user's file.
relabel() {
    local line
    while IFS= read -r line || [[ -n $line ]]; do
        printf '%s\n' "${line//"$2"/"$3"}"
    done <"$1"
}

status=0
for file in "${files[@]}"; do
    base="$workdir/base.yaml"
    label="$file@$base_ref"
    # `REV:./path` is relative to the current directory, like the FILE arguments. An
    # empty base means "nothing existed before": a new file plans everything as created.
    if git cat-file -e "$merge_base:./$file" 2>/dev/null; then
        git show "$merge_base:./$file" >"$base"
    else
        : >"$base"
    fi
    # An invalid base (the change may be its fix) does not fail the plan: meshctl
    # compares with what it declares, or with nothing, and says so in a note.
    echo >&3
    if "$meshctl" plan --base "$base" "$file" --output markdown >"$workdir/plan.md" 2>"$workdir/plan.err"; then
        relabel "$workdir/plan.md" "$base" "$label" >&3
        relabel "$workdir/plan.err" "$base" "$label" >&2
    else
        relabel "$workdir/plan.err" "$base" "$label" >&2
        printf '\n**meshctl plan failed for `%s`** (see the job log).\n' "$file" >&3
        status=1
    fi
done
exit "$status"
