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
  /// holds it, or `.directoryNotWritable` when the lock file cannot be created. Where the file
  /// system does not support locks (some network file systems), the run goes ahead unlocked.
  public init(_ path: String, option: String) throws {
    let (directory, name) = OutputPath.split(path)
    self.path = path
    lockPath = (directory == "/" ? "/" : directory + "/") + ".\(name).lock"
    fd = -1
    // A run releasing its claim removes the lock file; a claim on the removed file would be no
    // claim at all, so a lock is kept only on the file that is still at the lock path.
    for _ in 0..<8 {
      let candidate = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
      guard candidate >= 0 else {
        throw OutputPathError(path: path, option: option, reason: .directoryNotWritable(directory))
      }
      if flock(candidate, LOCK_EX | LOCK_NB) != 0 {
        let busy = errno == EWOULDBLOCK
        defer { _ = close(candidate) }
        if busy { throw OutputPathError(path: path, option: option, reason: .busy(pid: Self.owner(candidate))) }
        return  // No locks on this file system.
      }
      var opened = stat()
      var named = stat()
      if fstat(candidate, &opened) == 0, stat(lockPath, &named) == 0, FileIdentity(opened) == FileIdentity(named) {
        fd = candidate
        break
      }
      _ = close(candidate)
    }
    guard fd >= 0 else { throw OutputPathError(path: path, option: option, reason: .busy(pid: nil)) }
    let pid = Array("\(getpid())".utf8)
    _ = ftruncate(fd, 0)
    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, pid.count, 0) }
  }

  /// The process id written in the lock file open at `fd`, if it holds one.
  private static func owner(_ fd: Int32) -> Int? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
    guard n > 0 else { return nil }
    return Int(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespaces))
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
