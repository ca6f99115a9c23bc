import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A path a command is about to write, checked before any work starts, so that a careless
/// `--out` or `--checkpoint` fails in a second with a clear message instead of destroying a
/// user's file after an hour of training.
///
/// `check()` refuses, in this order: a path that names nothing (`""`, `.`, `..`, a trailing
/// `/`); a missing parent directory, or one the process cannot write; an existing directory;
/// an existing special file (FIFO, device, socket); one of the command's inputs (the same
/// file, whatever the spelling: compared by device and inode); and an existing regular file
/// that this output may not replace (see `Replaceable`). Nothing is created or changed.
///
/// The writes themselves go through `AtomicFile`, so a failure later (a full disk) still
/// leaves the previous file at the path intact.
public struct OutputPath: Sendable {
  /// What an existing regular file at the path may be for it to be replaced.
  public enum Replaceable: Sendable {
    /// A CompactRec model file (it starts with the `.crm` signature) or an empty file.
    case modelFile
    /// Nothing: the path must not exist (a checkpoint that a fresh run would overwrite).
    case nothing
    /// An earlier `compactrec recommend --out` file (it starts with `OutputPath.recommendationsSignature`)
    /// or an empty file.
    case recommendations
  }

  /// How every line of a `compactrec recommend --out` file starts: what lets a later run
  /// replace it, and nothing else.
  public static let recommendationsSignature = Array("{\"user\":".utf8)

  /// The path as the user gave it.
  public var path: String
  /// The command-line option that named it, for messages (e.g. `--out`).
  public var option: String
  /// What may already be at the path.
  public var replaceable: Replaceable

  /// The output `path`, named by `option` in messages, which may replace what `replaceable` says.
  public init(_ path: String, option: String, replaceable: Replaceable = .modelFile) {
    self.path = path
    self.option = option
    self.replaceable = replaceable
  }

  /// Throws an `OutputPathError` when writing the path could lose a user's file or is bound
  /// to fail; `inputs` are the files and directories the command reads (a directory counts
  /// with the files directly inside it). O(inputs + directory entries).
  public func check(inputs: [String] = []) throws {
    func fail(_ reason: OutputPathError.Reason) -> OutputPathError {
      OutputPathError(path: path, option: option, reason: reason)
    }
    let (directory, name) = OutputPath.split(path)
    guard !name.isEmpty, name != ".", name != ".." else { throw fail(.notAFileName) }
    var directoryInfo = stat()
    guard stat(directory, &directoryInfo) == 0 else { throw fail(.missingDirectory(directory)) }
    guard directoryInfo.st_mode & S_IFMT == S_IFDIR else { throw fail(.missingDirectory(directory)) }
    guard access(directory, W_OK | X_OK) == 0 else { throw fail(.directoryNotWritable(directory)) }

    var info = stat()
    guard stat(path, &info) == 0 else { return }  // Nothing there yet (or a dangling link).
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw fail(.isDirectory)
    default: throw fail(.specialFile(FileIdentity.kindName(info.st_mode)))
    }
    let target = FileIdentity(info)
    for input in inputs where FileIdentity.files(atOrIn: input).contains(target) {
      throw fail(.isInput(input))
    }
    switch replaceable {
    case .nothing: throw fail(.exists)
    case .modelFile:
      guard info.st_size == 0 || OutputPath.starts(path, with: ModelFileLayout.magic) else {
        throw fail(.notAModelFile)
      }
    case .recommendations:
      guard info.st_size == 0 || OutputPath.starts(path, with: OutputPath.recommendationsSignature) else {
        throw fail(.notRecommendations)
      }
    }
  }

  /// Whether `a` and `b` name the same file, existing or not: the same name in the same
  /// directory (compared by device and inode, so `./m.crm` and `/abs/m.crm` match).
  public static func sameFile(_ a: String, _ b: String) -> Bool {
    let (directoryA, nameA) = split(a)
    let (directoryB, nameB) = split(b)
    guard nameA == nameB else { return false }
    guard let idA = FileIdentity(path: directoryA), let idB = FileIdentity(path: directoryB) else {
      return directoryA == directoryB
    }
    return idA == idB
  }

  /// `("dir", "name")` for `"dir/name"`; `"."` for a bare name, `"/"` for `"/name"`.
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  /// Whether the file starts with `signature` (unreadable files count as not).
  private static func starts(_ path: String, with signature: [UInt8]) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return false }
    defer { _ = close(fd) }
    var head = [UInt8](repeating: 0, count: signature.count)
    let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, signature.count) }
    return n == signature.count && head == signature
  }
}

/// Why an output path was refused, with the option and path concerned.
public struct OutputPathError: SettingNamingError, Equatable, Sendable {
  public enum Reason: Equatable, Sendable {
    /// An existing file that is not an earlier recommendations file.
    case notRecommendations
    /// The path ends in no file name.
    case notAFileName
    /// The parent directory does not exist (or is not a directory).
    case missingDirectory(String)
    /// The process may not create files in the parent directory.
    case directoryNotWritable(String)
    /// The path is a directory.
    case isDirectory
    /// The path is a FIFO, device or socket (named).
    case specialFile(String)
    /// The path is one of the command's inputs (the input as given).
    case isInput(String)
    /// A regular file that is not a CompactRec model file is there.
    case notAModelFile
    /// Something is there and this output may replace nothing.
    case exists
    /// Another process is writing the same path (its process id, when known).
    case busy(pid: Int?)
    /// Two outputs of one command name the same file (the other option).
    case sameAs(String)
    /// An output directory is a file.
    case notADirectory
    /// An output directory holds files that are not an earlier export.
    case notAnExport
  }

  /// The refused path, as given.
  public var path: String
  /// The option that named it, e.g. `--out`.
  public var option: String
  /// Why it was refused.
  public var reason: Reason

  /// The refusal of `path`, named by `option`, for `reason`.
  public init(path: String, option: String, reason: Reason) {
    self.path = path
    self.option = option
    self.reason = reason
  }

  public func message(naming name: (Setting, String?) -> String) -> String {
    let subject = "\(option) \(path)"
    switch reason {
    case .notRecommendations:
      return "\(subject): exists and is not a file of recommendations written by compactrec recommend; "
        + "refusing to replace it — choose another path or remove the file first"
    case .notAFileName: return "\(subject): not a path to a file (it names no file)"
    case .missingDirectory(let d): return "\(subject): the directory '\(d)' does not exist; create it first"
    case .directoryNotWritable(let d): return "\(subject): cannot create files in '\(d)' (permission denied)"
    case .isDirectory: return "\(subject): is a directory; give a file path inside it"
    case .specialFile(let kind): return "\(subject): is a \(kind), not a regular file; refusing to replace it"
    case .isInput(let input):
      return "\(subject): is an input of this command (\(input)); refusing to overwrite it — choose another path"
    case .notAModelFile:
      return "\(subject): exists and is not a CompactRec model file; refusing to replace it — "
        + "choose another path or remove the file first"
    case .exists:
      return "\(subject): a file is already there (a checkpoint of an interrupted run?); "
        + "pass \(name(.resume, nil)) to continue that run, or remove the file or choose another path"
    case .busy(let pid):
      return "\(subject): another run\(pid.map { " (process \($0))" } ?? "") is writing this file; "
        + "wait for it to finish or choose another path"
    case .sameAs(let other): return "\(subject): is the same file as \(other); give them different paths"
    case .notADirectory: return "\(subject): is a file, not a directory; give a directory for the export"
    case .notAnExport:
      return "\(subject): the directory holds other files (no earlier export's manifest.json); "
        + "give a new or empty directory"
    }
  }
}

extension OutputPathError: LocalizedError {
  public var errorDescription: String? { description }
}

/// A file's identity on this machine: device and inode, so two spellings of one path compare
/// equal.
public struct FileIdentity: Hashable, Sendable {
  var device: UInt64
  var inode: UInt64

  init(_ info: stat) {
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }

  /// The identity of the file at `path` (following links), or nil when there is none.
  init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    self.init(info)
  }

  /// `path` itself, and when it is a directory, the entries directly inside it.
  static func files(atOrIn path: String) -> Set<FileIdentity> {
    guard let own = FileIdentity(path: path) else { return [] }
    var out: Set<FileIdentity> = [own]
    guard let dir = opendir(path) else { return out }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
      }
      if name == "." || name == ".." { continue }
      if let id = FileIdentity(path: path + "/" + name) { out.insert(id) }
    }
    return out
  }

  /// Why the data and model readers cannot read `path` as a file, from one `stat` (following
  /// links); nil for a non-empty regular file. Special files are refused up front (reading one
  /// could block forever or never end), and so are empty files (Foundation's reader leaks its
  /// buffer on one).
  public static func readProblem(at path: String) -> ReadProblem? {
    var info = stat()
    guard stat(path, &info) == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFDIR: return .directory
    case S_IFREG: return info.st_size == 0 ? .empty : nil
    default: return .special(kindName(info.st_mode))
    }
  }

  /// What `readProblem(at:)` finds.
  public enum ReadProblem: Equatable, Sendable {
    case missing, directory, empty
    /// A FIFO, device or socket, named.
    case special(String)
  }

  /// A file type in words, e.g. "FIFO (named pipe)".
  static func kindName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: return "FIFO (named pipe)"
    case S_IFCHR: return "character device"
    case S_IFBLK: return "block device"
    case S_IFSOCK: return "socket"
    default: return "special file"
    }
  }
}
