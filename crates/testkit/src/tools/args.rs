//! Command-line parsing the way Go's pflag (under cobra) does it — kind, helm and linkerd
//! all use it: `--flag value`, `--flag=value`, `-f value`, `-fvalue`, bool flags without a
//! value, repeated flags kept in order, `--` ending the flags, and pflag's own messages for
//! unknown flags and missing values.

/// One flag a command accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlagSpec {
    pub long: &'static str,
    pub short: Option<char>,
    pub takes_value: bool,
}

/// A flag that takes a value (`--name X`).
pub(crate) const fn value(long: &'static str) -> FlagSpec {
    FlagSpec {
        long,
        short: None,
        takes_value: true,
    }
}

/// A boolean flag (`--wait`, `--wait=false`).
pub(crate) const fn switch(long: &'static str) -> FlagSpec {
    FlagSpec {
        long,
        short: None,
        takes_value: false,
    }
}

impl FlagSpec {
    pub(crate) const fn short(mut self, c: char) -> FlagSpec {
        self.short = Some(c);
        self
    }
}

/// Flags (long name → values in order) and positional arguments.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    flags: Vec<(&'static str, String)>,
    pub positionals: Vec<String>,
}

impl Parsed {
    /// The last value given for a flag (pflag: a repeated string flag keeps the last).
    pub(crate) fn last(&self, long: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(name, _)| *name == long)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for a repeatable flag (`--set a=1 --set b=2`), in order.
    pub(crate) fn all(&self, long: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(name, _)| *name == long)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether a bool flag is on (`--flag`, `--flag=true`).
    pub(crate) fn on(&self, long: &str) -> bool {
        matches!(
            self.last(long),
            Some("true") | Some("1") | Some("t") | Some("T") | Some("TRUE") | Some("True")
        )
    }
}

/// Parses `args` against `specs`. Unknown flags are errors with pflag's wording, unless
/// `lenient` (used only to find the subcommand words before the real parse), where an
/// unknown flag is skipped as if it were a switch.
pub(crate) fn parse(args: &[String], specs: &[FlagSpec], lenient: bool) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            parsed.positionals.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(spec) = specs.iter().find(|s| s.long == name) else {
                if lenient {
                    continue;
                }
                return Err(format!("unknown flag: --{name}"));
            };
            let value = if spec.takes_value {
                match inline {
                    Some(v) => v,
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => return Err(format!("flag needs an argument: --{name}")),
                }
            } else {
                inline.unwrap_or_else(|| "true".to_string())
            };
            parsed.flags.push((spec.long, value));
        } else if arg.len() > 1 && arg.starts_with('-') {
            // Shorthand: `-n value`, `-nvalue`, `-n=value`, or a cluster of switches.
            let chars: Vec<char> = arg[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                let Some(spec) = specs.iter().find(|s| s.short == Some(c)) else {
                    if lenient {
                        break;
                    }
                    return Err(format!("unknown shorthand flag: '{c}' in {arg}"));
                };
                if spec.takes_value {
                    let rest: String = chars[j + 1..].iter().collect();
                    let value = if let Some(v) = rest.strip_prefix('=') {
                        v.to_string()
                    } else if !rest.is_empty() {
                        rest
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        return Err(format!("flag needs an argument: '{c}' in {arg}"));
                    };
                    parsed.flags.push((spec.long, value));
                    break;
                }
                parsed.flags.push((spec.long, "true".to_string()));
                j += 1;
            }
        } else {
            parsed.positionals.push(arg.clone());
        }
    }
    Ok(parsed)
}

/// The subcommand words at the start of the positionals that form a known command path,
/// longest match first (`["multicluster", "link"]`), and the positionals after them.
pub(crate) fn command_path<'a>(
    positionals: &[String],
    known: &[&'a [&'a str]],
) -> Option<(&'a [&'a str], Vec<String>)> {
    let mut best: Option<&'a [&'a str]> = None;
    for path in known {
        let matches = path.len() <= positionals.len()
            && path.iter().zip(positionals).all(|(a, b)| *a == b.as_str());
        if matches && best.is_none_or(|b| b.len() < path.len()) {
            best = Some(path);
        }
    }
    best.map(|path| (path, positionals[path.len()..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn long_short_inline_and_repeated_flags() {
        let specs = [
            value("namespace").short('n'),
            value("set"),
            switch("wait"),
            value("values").short('f'),
        ];
        let parsed = parse(
            &strings(&[
                "upgrade",
                "-n",
                "ns",
                "--set=a=1",
                "--set",
                "b=2",
                "--wait",
                "-fvals.yaml",
                "rel",
            ]),
            &specs,
            false,
        )
        .unwrap();
        assert_eq!(parsed.last("namespace"), Some("ns"));
        assert_eq!(parsed.all("set"), vec!["a=1", "b=2"]);
        assert!(parsed.on("wait"));
        assert_eq!(parsed.last("values"), Some("vals.yaml"));
        assert_eq!(parsed.positionals, strings(&["upgrade", "rel"]));
    }

    #[test]
    fn pflag_messages() {
        let specs = [value("name")];
        assert_eq!(
            parse(&strings(&["--nope"]), &specs, false).unwrap_err(),
            "unknown flag: --nope"
        );
        assert_eq!(
            parse(&strings(&["--name"]), &specs, false).unwrap_err(),
            "flag needs an argument: --name"
        );
        assert_eq!(
            parse(&strings(&["-x"]), &specs, false).unwrap_err(),
            "unknown shorthand flag: 'x' in -x"
        );
    }
}
