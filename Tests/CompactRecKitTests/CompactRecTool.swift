import Foundation

/// The `compactrec` binary that `swift build` puts beside the tests, run as a user would.
enum CompactRecTool {
  /// The built tool, or nil (and a printed reason) when it was not built: the one beside the
  /// test bundle (so a sanitizer build in another scratch path tests its own binary), else
  /// under `.build/debug` or `.build/release`.
  static let path: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates =
      [
        beside.appendingPathComponent("compactrec").path,
        beside.deletingLastPathComponent().appendingPathComponent("compactrec").path,
      ]
      + ["debug", "release"].map { root.appendingPathComponent(".build/\($0)/compactrec").path }
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
    print("skipping: the compactrec binary was not found beside the tests or under .build/debug or .build/release")
    return nil
  }()

  /// Runs the tool with `arguments` (in `directory`, when given) and returns its exit status,
  /// standard output and standard error.
  static func run(_ arguments: [String], in directory: String? = nil) throws -> (
    status: Int32, out: String, err: String
  ) {
    try runProcess(path!, arguments, in: directory)
  }

  /// Runs `executable` with `arguments`, standard input empty; returns its exit status and
  /// output. Our commands write little to standard error, so reading standard output to its
  /// end first cannot leave the process blocked on a full error pipe.
  static func runProcess(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> (
    status: Int32, out: String, err: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)
    )
  }
}
