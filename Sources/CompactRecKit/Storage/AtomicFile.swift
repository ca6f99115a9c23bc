import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a file so that readers, and the file system after a crash or power loss, see either
/// the old file or the complete new one — never a half-written one.
///
/// The bytes go to a temporary file in the destination's directory
/// (`.<name>.tmp-<pid>-<random>`), which is flushed to disk (`fsync`), renamed over the
/// destination (`rename(2)` is atomic within a file system) and made durable by flushing the
/// directory. On any error the temporary file is removed and the destination is untouched; a
/// temporary file left by a writer that was killed is removed by the next write to the path.
/// Model files and training checkpoints are written this way.
///
/// The new file gets mode 0666 minus the umask (an existing file's permissions are not kept).
/// A destination that is a symbolic link is replaced by a regular file.
/// Errors are `ModelFileError` with reason `.io`, naming the destination; an error thrown by
/// the body of `write(to:_:)` is rethrown unchanged (after the same clean-up).
public enum AtomicFile {
  /// Replaces the file at `path` with `bytes`. O(n).
  public static func write(_ bytes: [UInt8], to path: String) throws {
    try write(to: path) { try $0.write(bytes) }
  }

  /// Replaces the file at `path` with what `body` writes to the given `Writer`, so large files
  /// can be streamed without first being assembled in memory.
  public static func write(to path: String, _ body: (Writer) throws -> Void) throws {
    let (directory, name) = split(path)
    guard !name.isEmpty, name != ".", name != ".." else {
      throw ModelFileError(path: path, reason: .io("not a path to a file"))
    }
    let suffix = String(UInt64.random(in: .min ... .max), radix: 16)
    let prefix = directory == "/" ? "/" : directory + "/"
    let temporary = "\(prefix).\(name).tmp-\(getpid())-\(suffix)"
    removeAbandonedTemporaries(in: directory, of: name)

    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
      throw ModelFileError(
        path: path, reason: .io("cannot create a file in '\(directory)': \(lastError())"))
    }
    var isOpen = true
    var renamed = false
    defer {
      if isOpen { _ = close(fd) }
      if !renamed { _ = unlink(temporary) }
    }

    let writer = Writer(fd: fd, path: path)
    try body(writer)
    try writer.flush()
    guard flushToDisk(fd) == 0 else {
      throw ModelFileError(path: path, reason: .io("cannot flush to disk: \(lastError())\(unchanged)"))
    }
    isOpen = false
    guard close(fd) == 0 else {
      throw ModelFileError(path: path, reason: .io("cannot finish writing: \(lastError())"))
    }
    guard rename(temporary, path) == 0 else {
      throw ModelFileError(path: path, reason: .io("cannot replace the file: \(lastError())"))
    }
    renamed = true
    try syncDirectory(directory, for: path)
  }

  /// The sink handed to `write(to:_:)`'s body. Small writes are gathered in a 1 MiB buffer;
  /// large ones go straight to the file.
  public final class Writer {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 20

    /// Bytes written so far (buffered or not).
    public private(set) var bytesWritten = 0

    fileprivate init(fd: Int32, path: String) {
      self.fd = fd
      self.path = path
      buffer.reserveCapacity(Writer.capacity)
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
      bytesWritten += bytes.count
      if buffer.count + bytes.count > Writer.capacity { try flush() }
      if bytes.count >= Writer.capacity {
        try writeAll(bytes)
      } else {
        buffer.append(contentsOf: bytes)
      }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws {
      try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends `count` zero bytes (padding).
    public func writeZeros(_ count: Int) throws {
      precondition(count >= 0, "negative padding")
      try write([UInt8](repeating: 0, count: count))
    }

    fileprivate func flush() throws {
      try buffer.withUnsafeBytes { try writeAll($0) }
      buffer.removeAll(keepingCapacity: true)
    }

    /// `write(2)` until every byte is out, retrying partial writes and interruptions.
    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
      guard var p = bytes.baseAddress else { return }
      var remaining = bytes.count
      while remaining > 0 {
        let n = systemWrite(fd, p, remaining)
        if n < 0 {
          if errno == EINTR { continue }
          throw ModelFileError(path: path, reason: .io("write failed: \(lastError())\(unchanged)"))
        }
        p += n
        remaining -= n
      }
    }
  }

  // MARK: - Helpers

  /// `("dir", "name")` for `"dir/name"`; `"."` for a bare name, `"/"` for `"/name"`.
  private static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  /// Removes this path's temporary files (`.<name>.tmp-<pid>-<random>`) whose writing process
  /// no longer exists: what a write killed with SIGKILL leaves. A process that is alive (or a
  /// process id reused since) keeps its file. O(directory entries).
  private static func removeAbandonedTemporaries(in directory: String, of name: String) {
    let marker = ".\(name).tmp-"
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    for entry in entries where entry.hasPrefix(marker) {
      guard let pid = Int32(entry.dropFirst(marker.count).prefix { $0 != "-" }), pid > 0,
        kill(pid, 0) != 0 && errno == ESRCH
      else { continue }
      _ = unlink((directory == "/" ? "/" : directory + "/") + entry)
    }
  }

  /// Makes the rename durable. File systems that cannot sync a directory (EINVAL) are skipped.
  private static func syncDirectory(_ directory: String, for path: String) throws {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }  // The file is in place; only durability is not confirmed.
    defer { _ = close(fd) }
    if fsync(fd) != 0 && errno != EINVAL {
      throw ModelFileError(
        path: path, reason: .io("cannot flush the directory to disk: \(lastError())"))
    }
  }
}

/// `fsync`, or on Apple platforms `F_FULLFSYNC` (plain `fsync` there does not flush the
/// drive's cache), falling back to `fsync` where that is unsupported.
private func flushToDisk(_ fd: Int32) -> Int32 {
  #if canImport(Darwin)
    if fcntl(fd, F_FULLFSYNC) == 0 { return 0 }
  #endif
  while true {
    let result = fsync(fd)
    if result != 0 && errno == EINTR { continue }
    return result
  }
}

/// The C `write`, which `AtomicFile.write` and `Writer.write` would otherwise shadow.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    return Glibc.write(fd, p, count)
  #elseif canImport(Musl)
    return Musl.write(fd, p, count)
  #elseif canImport(Darwin)
    return Darwin.write(fd, p, count)
  #endif
}

/// The end of a failed write's message: the destination was never touched.
private let unchanged = " (nothing was replaced: an earlier file at this path is unchanged)"

/// The current `errno` as text, e.g. "No such file or directory".
private func lastError() -> String {
  String(cString: strerror(errno))
}
