import Foundation

/// Where the targets put each input so that the real loaders read it as a file: a directory
/// of this process's own in memory (`/dev/shm`) where there is one, else under the temporary
/// directory (`TMPDIR`), made on first use and removed when the process exits normally. It
/// keeps the fuzzed code the very code that loads files, not a copy of it that could fall
/// behind. (On a disk, rewriting a file costs milliseconds: ext4 flushes a truncated file.)
enum ScratchFiles {
  /// The directory, with a trailing `/`.
  static let directory: String = {
    var isDirectory: ObjCBool = false
    let inMemory = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory)
    let parent = inMemory && isDirectory.boolValue ? "/dev/shm" : FileManager.default.temporaryDirectory.path
    let path = parent + "/compactrec-fuzz-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      fatalError("CompactRecFuzz: cannot make the scratch directory \(path): \(error)")
    }
    atexit { try? FileManager.default.removeItem(atPath: ScratchFiles.directory) }
    return path + "/"
  }()

  /// Writes `bytes` to `name` in the scratch directory (which may name a subdirectory, made
  /// as needed) and returns its path.
  static func write(_ bytes: some Collection<UInt8>, to name: String) -> String {
    let path = directory + name
    let url = URL(fileURLWithPath: path)
    do {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(bytes).write(to: url)
    } catch {
      fatalError("CompactRecFuzz: cannot write the scratch file \(path): \(error)")
    }
    return path
  }
}
