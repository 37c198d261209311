//! Reading inputs and writing outputs for every command: specs from a path or stdin (with a
//! progress display for large ones), and files written atomically.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use plugboard_openapi::source::Document;

/// Specs at least this large get a progress display on a terminal.
const PROGRESS_MIN_BYTES: usize = 2 << 20;

/// Reads a spec's text from a path, or from stdin for `-`.
pub fn read_spec(spec: &str) -> Result<String> {
    if spec == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the spec from stdin")?;
        Ok(text)
    } else {
        std::fs::read_to_string(spec).with_context(|| format!("cannot read {spec}"))
    }
}

/// Parses a spec's text, naming the input in the error.
pub fn parse_spec(spec: &str, text: &str, progress: &Progress) -> Result<Document> {
    progress.phase("reading");
    Document::parse(text).with_context(|| format!("cannot read {spec}"))
}

/// A spinner on stderr for long work on large inputs; silent when stderr is not a terminal or
/// the input is small.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// Starts a display for work on `bytes` of input.
    pub fn start(what: &str, bytes: usize) -> Progress {
        if bytes < PROGRESS_MIN_BYTES || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} ({elapsed}): {msg}") {
            bar.set_style(style);
        }
        bar.set_prefix(format!("{what}, {:.1} MB", bytes as f64 / 1e6));
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress(Some(bar))
    }

    /// Names the current step.
    pub fn phase(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_string());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder renamed into place, so
/// a failed write never leaves a partial file; `-` writes to stdout. See
/// [`write_atomically_with`] for links, devices and permissions.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// Like [`write_atomically`], with the content written by `write` (through a buffer), so that a
/// large output need not be held in memory first.
///
/// - A symbolic link stays a link: the file it points to gets the new content.
/// - A device or FIFO (`/dev/null`, a shell's `>(...)`) is written in place: renaming a file
///   over it would replace it.
/// - `/dev/stdout`, `/dev/stderr` and `/dev/fd/N` are the process's own descriptors, written
///   where the shell left them (after what came before, appended with `>>`), whatever they are.
/// - An existing file keeps its permission bits (not setuid, setgid or sticky, as a copy would
///   not); a new one gets what creating it would give (0666 less the umask).
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let context = || format!("cannot write {}", path.display());
    #[cfg(unix)]
    let own_fd = own_descriptor(path);
    #[cfg(not(unix))]
    let own_fd = None;
    if path == Path::new("-") || own_fd == Some(1) {
        // Through Rust's own handle, so that what the command printed before comes first.
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        return write(&mut stdout)
            .and_then(|()| stdout.flush())
            .context("cannot write to stdout");
    }
    #[cfg(unix)]
    if let Some(fd) = own_fd {
        let file = descriptor::duplicate(fd).with_context(context)?;
        return write_in_place(file, write).with_context(context);
    }
    let existing = match std::fs::metadata(path) {
        Ok(metadata) => Some(metadata),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(context),
    };
    let (target, permissions) = match existing {
        Some(metadata) if metadata.is_dir() => {
            bail!("{} is a directory; give a file name", path.display())
        }
        Some(metadata) if !metadata.is_file() => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(context)?;
            return write_in_place(file, write).with_context(context);
        }
        Some(metadata) => (
            std::fs::canonicalize(path).with_context(context)?,
            Some(metadata.permissions()),
        ),
        None => (dangling_link_target(path).with_context(context)?, None),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file = new_temporary(dir, permissions).with_context(context)?;
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file);
    write(&mut buffered)
        .and_then(|()| buffered.flush())
        .with_context(context)?;
    let file = buffered
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(context)?;
    file.persist(&target)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(())
}

/// Writes through `file` as it is (a device, a FIFO, an inherited descriptor).
fn write_in_place(
    file: std::fs::File,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file);
    write(&mut buffered)?;
    buffered.flush()
}

/// The temporary file in `dir` that replaces a file with `existing` permissions, or makes a new
/// one. It is never more open than the file it replaces, not even before its mode is set.
#[cfg(unix)]
fn new_temporary(
    dir: &Path,
    existing: Option<std::fs::Permissions>,
) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt as _;
    // Permission bits only: a setuid or setgid bit does not carry over to new content.
    let existing = existing.map(|p| std::fs::Permissions::from_mode(p.mode() & 0o777));
    // Created with the mode a plain create asks for (0666) or the existing file's; the kernel
    // takes the umask off, which only narrows it.
    let create = existing
        .clone()
        .unwrap_or_else(|| std::fs::Permissions::from_mode(0o666));
    let file = tempfile::Builder::new()
        .permissions(create)
        .tempfile_in(dir)?;
    if let Some(existing) = existing {
        // The exact bits, including those the umask took off.
        file.as_file().set_permissions(existing)?;
    }
    Ok(file)
}

/// The temporary file in `dir` that replaces a file with `existing` permissions, or makes a new
/// one.
#[cfg(not(unix))]
fn new_temporary(
    dir: &Path,
    existing: Option<std::fs::Permissions>,
) -> std::io::Result<tempfile::NamedTempFile> {
    let file = tempfile::NamedTempFile::new_in(dir)?;
    if let Some(existing) = existing {
        file.as_file().set_permissions(existing)?;
    }
    Ok(file)
}

/// The descriptor of this process that `path` names: `/dev/stdout`, `/dev/stderr`,
/// `/dev/fd/N`, `/proc/self/fd/N`, or a link to one of them.
#[cfg(unix)]
fn own_descriptor(path: &Path) -> Option<std::os::fd::RawFd> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let text = current.to_str()?;
        let fd = match text {
            "/dev/stdin" => Some("0"),
            "/dev/stdout" => Some("1"),
            "/dev/stderr" => Some("2"),
            _ => text
                .strip_prefix("/dev/fd/")
                .or_else(|| text.strip_prefix("/proc/self/fd/")),
        };
        if let Some(fd) = fd.and_then(|fd| fd.parse().ok()) {
            return Some(fd);
        }
        current = link_target(&current).ok()??;
    }
    None
}

#[cfg(unix)]
mod descriptor {
    //! The one place the CLI turns a descriptor number into a file.

    use std::os::fd::{BorrowedFd, RawFd};

    /// A new descriptor for the same open file as this process's `fd` (its offset and append
    /// mode shared, as a shell's redirection set them).
    pub fn duplicate(fd: RawFd) -> std::io::Result<std::fs::File> {
        // Only a descriptor this process has open may be borrowed.
        std::fs::metadata(format!("/proc/self/fd/{fd}"))
            .or_else(|_| std::fs::metadata(format!("/dev/fd/{fd}")))?;
        // SAFETY: `fd` is open (checked just above; the CLI closes no descriptor it did not
        // open), and the borrow ends with this statement: `try_clone_to_owned` duplicates it.
        let owned = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?;
        Ok(std::fs::File::from(owned))
    }
}

/// Where a new file at `path` goes: `path` itself, or the missing file a (chain of) symbolic
/// link(s) at `path` points to.
fn dangling_link_target(path: &Path) -> std::io::Result<std::path::PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match link_target(&current)? {
            Some(next) => current = next,
            None => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Links followed at most, as the kernel does (Linux's MAXSYMLINKS).
const MAX_LINKS: usize = 40;

/// Where the symbolic link at `path` points (a relative target from the link's folder); `None`
/// when `path` is not a link or does not exist.
fn link_target(path: &Path) -> std::io::Result<Option<std::path::PathBuf>> {
    match std::fs::read_link(path) {
        Ok(link) => Ok(Some(match path.parent() {
            Some(dir) => dir.join(link),
            None => link,
        })),
        // Not a link (EINVAL), or nothing there.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::InvalidInput | std::io::ErrorKind::NotFound
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Writes a new file readable by its owner only (a key); an existing file is an error, never
/// overwritten.
pub fn write_new_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
