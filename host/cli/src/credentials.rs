//! Credentials for a call, from where the user keeps them: `--credential NAME=VALUE`, or off the
//! command line (arguments show in `ps` and in shell history): `NAME=@FILE` reads the file,
//! `NAME=-` reads standard input, and `PLUGBOARD_CREDENTIAL_<NAME>` variables
//! (`PLUGBOARD_CREDENTIAL_API_KEY` is `api_key`). A file's or standard input's one trailing
//! newline is dropped. A flag wins over a variable of the same name. Errors name the flag or the
//! variable, never the value.

use anyhow::{Context, Result, bail};

/// The prefix of credential variables.
pub(crate) const ENV_PREFIX: &str = "PLUGBOARD_CREDENTIAL_";

/// The credentials of `--credential` flags (`flag` names them in errors) and of
/// `PLUGBOARD_CREDENTIAL_<NAME>` variables.
pub(crate) fn credentials(flags: &[String], flag: &str) -> Result<Vec<(String, String)>> {
    from(flags, flag, std::env::vars_os(), &mut std::io::stdin())
}

fn from(
    flags: &[String],
    flag: &str,
    environment: impl IntoIterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    stdin: &mut dyn std::io::Read,
) -> Result<Vec<(String, String)>> {
    let mut stdin_taken_by: Option<String> = None;
    let mut credentials: Vec<(String, String)> = Vec::new();
    for (name, value) in crate::pairs(flags, flag)? {
        let value = if value == "-" {
            if let Some(first) = &stdin_taken_by {
                bail!(
                    "{flag} {name}=- and {flag} {first}=- both read standard input; give one of \
                     them as NAME=@FILE or PLUGBOARD_CREDENTIAL_<NAME>"
                );
            }
            stdin_taken_by = Some(name.clone());
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .with_context(|| format!("{flag} {name}=-: cannot read standard input"))?;
            chomp(text)
        } else if let Some(path) = value.strip_prefix('@') {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{flag} {name}=@{path}: cannot read the file"))?;
            chomp(text)
        } else {
            value
        };
        credentials.retain(|(known, _)| known != &name);
        credentials.push((name, value));
    }
    for (variable, value) in environment {
        let Some(variable) = variable.to_str() else {
            continue;
        };
        let Some(suffix) = variable.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let name = suffix.to_ascii_lowercase();
        if name.is_empty() {
            bail!("{ENV_PREFIX}: the variable needs a credential name after the prefix");
        }
        let Ok(value) = value.into_string() else {
            bail!("{variable} is not valid UTF-8");
        };
        if !credentials.iter().any(|(known, _)| known == &name) {
            credentials.push((name, value));
        }
    }
    Ok(credentials)
}

/// Drops one trailing newline (`\n` or `\r\n`), as `echo` and editors leave one.
fn chomp(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    #[test]
    fn values_come_from_flags_files_stdin_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-a-file\n").unwrap();
        let flags = vec![
            "api_key=plain".to_string(),
            format!("client_secret=@{}", file.display()),
            "password=-".to_string(),
        ];
        let got = from(
            &flags,
            "--credential",
            env(&[
                ("PLUGBOARD_CREDENTIAL_USERNAME", "from-env"),
                ("PLUGBOARD_CREDENTIAL_API_KEY", "loses-to-the-flag"),
                ("OTHER", "ignored"),
            ]),
            &mut "from-stdin\r\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(
            got,
            [
                ("api_key".to_string(), "plain".to_string()),
                ("client_secret".into(), "from-a-file".into()),
                ("password".into(), "from-stdin".into()),
                ("username".into(), "from-env".into()),
            ]
        );
    }

    #[test]
    fn errors_name_the_flag_and_never_the_value() {
        let twice = vec!["a=-".to_string(), "b=-".to_string()];
        let error = from(&twice, "--credential", env(&[]), &mut "x".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(error.contains("both read standard input"), "{error}");
        let missing = vec!["api_key=@/no/such/file".to_string()];
        let error = format!(
            "{:#}",
            from(&missing, "--credential", env(&[]), &mut "".as_bytes()).unwrap_err()
        );
        assert!(
            error.contains("--credential api_key=@/no/such/file"),
            "{error}"
        );
        let bad = vec!["sk-live-secret".to_string()];
        let error = from(&bad, "--credential", env(&[]), &mut "".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(!error.contains("sk-live-secret"), "{error}");
    }
}
