import ArgumentParser
import Foundation

/// A command that failed for a reason that is not a usage error (exit status 1), with the
/// message to print.
struct CommandFailure: Error, CustomStringConvertible {
  let description: String

  init(_ message: String) { description = message }
}

/// A usage error found after parsing, once data or files are read (a `--split` that does
/// not parse, a run too large for the machine): exit status 64, as for the `ValidationError`s
/// of parsing, but without the usage text, which names no wrong option here.
struct UsageFailure: Error, CustomStringConvertible {
  let description: String

  init(_ message: String) { description = message }

  /// The exit status of usage errors (EX_USAGE).
  static let exitStatus: Int32 = 64
}
