import Foundation

@testable import CompactRecKit

/// A fresh temporary directory for one test, removed when the test is done with it.
final class DataTestFolder {
  /// The directory's path, without a trailing slash.
  let path: String

  init() {
    path =
      FileManager.default.temporaryDirectory.appendingPathComponent(
        "compactrec-data-\(UUID().uuidString)"
      ).path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Writes `text` to `name` in the folder and returns the file's path.
  @discardableResult
  func write(_ name: String, _ text: String) -> String { write(name, bytes: Array(text.utf8)) }

  /// Writes raw `bytes` to `name` in the folder and returns the file's path.
  @discardableResult
  func write(_ name: String, bytes: [UInt8]) -> String {
    let file = path + "/" + name
    let written = FileManager.default.createFile(atPath: file, contents: Data(bytes))
    precondition(written, "cannot write \(file)")
    return file
  }
}

extension Dataset {
  /// Per original user id, the original item ids of `lists` (which are per user index).
  func byID(_ lists: [[Int32]]) -> [String: [String]] {
    var result: [String: [String]] = [:]
    for (user, list) in lists.enumerated() { result[users[Int32(user)]] = list.map { items[$0] } }
    return result
  }
}

extension SyntheticData {
  /// The built-in generator's data at a test's size (its other settings at their defaults).
  static func small(users: Int, items: Int, meanLength: Int? = nil) -> Dataset {
    var generator = SyntheticData()
    generator.users = users
    generator.items = items
    if let meanLength { generator.meanLength = meanLength }
    return generator.generate()
  }
}
