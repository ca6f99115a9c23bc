import Foundation

/// Why a model file could not be read, written or used, with the file's path.
///
/// Every reason is a value tests can compare, and `description` is a sentence a user can act
/// on: what is wrong, the likely cause, and what to do, e.g.
/// `model.crm: tensor 'item_embedding' is corrupted (CRC32 mismatch); ...`.
public struct ModelFileError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Reason: Equatable, Sendable {
    /// No file at the path.
    case notFound
    /// The file does not start with the `.crm` signature.
    case notAModelFile
    /// Written by a later format version than this build reads.
    case newerVersion(found: UInt32, supported: UInt32)
    /// The file is shorter than its own header says (or than the fixed prefix).
    case truncated(expectedBytes: Int, actualBytes: Int)
    /// The header JSON does not match its checksum.
    case headerChecksumMismatch
    /// The header is intact but makes no sense (bad JSON, bad tensor directory, trailing bytes).
    case invalidHeader(String)
    /// A tensor's bytes do not match their checksum.
    case tensorChecksumMismatch(name: String)
    /// The model needs a tensor the file does not have.
    case missingTensor(String)
    /// A tensor has another element type than the caller asked for.
    case wrongTensorType(name: String, expected: String, found: String)
    /// A tensor has another shape than the caller's configuration implies.
    case wrongShape(name: String, expected: [Int], found: [Int])
    /// The file holds another kind of model.
    case wrongKind(expected: String, found: String)
    /// The operating system refused a read or write; the message says why.
    case io(String)
  }

  /// The file concerned, as the caller gave it; empty for a model built in memory.
  public var path: String
  public var reason: Reason

  public init(path: String, reason: Reason) {
    self.path = path
    self.reason = reason
  }

  public var description: String {
    let file = path.isEmpty ? "model" : path
    return "\(file): \(message)"
  }

  private var message: String {
    switch reason {
    case .notFound:
      return "no such file; check the path"
    case .notAModelFile:
      return "not a CompactRec model file (it does not start with the .crm signature; a"
        + " text-mode transfer can also damage it) — pass a .crm file written by CompactRec"
    case .newerVersion(let found, let supported):
      return "written by a newer CompactRec (format version \(found); this build reads up to"
        + " \(supported)) — upgrade compactrec"
    case .truncated(let expected, let actual):
      return "file is truncated (expected \(grouped(expected)) bytes, found \(grouped(actual)));"
        + " it was probably copied or written incompletely — re-create it"
    case .headerChecksumMismatch:
      return "header is corrupted (CRC32 mismatch); the file was damaged after it was written"
        + " — re-create it or restore a copy"
    case .invalidHeader(let detail):
      return "invalid header: \(detail); the file is damaged or was not written by CompactRec"
        + " — re-create it"
    case .tensorChecksumMismatch(let name):
      return "tensor '\(name)' is corrupted (CRC32 mismatch); the file was damaged after it was"
        + " written — re-create it or restore a copy"
    case .missingTensor(let name):
      return "has no tensor '\(name)'; it holds another model kind or was written by an"
        + " incompatible version — re-train the model"
    case .wrongTensorType(let name, let expected, let found):
      return "tensor '\(name)' has element type \(found), expected \(expected); the file does"
        + " not match this model — re-train the model"
    case .wrongShape(let name, let expected, let found):
      return "tensor '\(name)' has shape \(found), expected \(expected); the file was trained"
        + " with other hyper-parameters or data — use matching settings or re-train"
    case .wrongKind(let expected, let found):
      return "holds a '\(found)' model, expected '\(expected)' — pass a '\(expected)' model file"
        + " or choose the '\(found)' model"
    case .io(let detail):
      return detail
    }
  }
}

extension ModelFileError: LocalizedError {
  public var errorDescription: String? { description }
}

/// `1234567` as `1,234,567`, independent of the locale so messages are the same everywhere.
private func grouped(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, c) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(c)
  }
  return n < 0 ? "-" + out : out
}
