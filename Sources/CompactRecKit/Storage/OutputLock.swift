import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive claim on an output path for the life of one run, so that two runs writing the
/// same model (and so the same checkpoint) cannot both go ahead: the second is refused with
/// `OutputPathError.Reason.busy` before it starts work.
///
/// The claim is an advisory `flock` on a lock file beside the path (`.<name>.lock`, holding
/// the owner's process id for the message). The kernel drops the lock when the process
/// ends, however it ends, so a run killed with SIGKILL never leaves a stale claim; at most
/// the empty lock file stays behind, and the next run reuses it. `release()` (or
/// deinitialization) removes the lock file.
public final class OutputLock {
  /// The locked output path.
  public let path: String
  private let lockPath: String
  private var fd: Int32

  /// Claims `path` for this process. Throws `OutputPathError` (`.busy`) when another process
  /// holds it, or an I/O `OutputPathError` when the lock file cannot be created.
  public init(_ path: String, option: String) throws {
    let (directory, name) = OutputPath.split(path)
    self.path = path
    lockPath = (directory == "/" ? "/" : directory + "/") + ".\(name).lock"
    fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw OutputPathError(path: path, option: option, reason: .directoryNotWritable(directory))
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      var buffer = [UInt8](repeating: 0, count: 32)
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
      let owner = n > 0 ? Int(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespaces)) : nil
      _ = close(fd)
      fd = -1
      throw OutputPathError(path: path, option: option, reason: .busy(pid: owner))
    }
    let pid = Array("\(getpid())".utf8)
    _ = ftruncate(fd, 0)
    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, pid.count, 0) }
  }

  /// Gives the claim up and removes the lock file. Idempotent.
  public func release() {
    guard fd >= 0 else { return }
    _ = unlink(lockPath)
    _ = close(fd)
    fd = -1
  }

  deinit { release() }
}
