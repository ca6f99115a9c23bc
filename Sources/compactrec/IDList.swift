import CompactRecKit
import Foundation

/// A list of original ids on the command line: comma separated, or `@FILE` for a file of ids
/// separated by lines or commas (blank entries ignored).
enum IDList {
  /// The ids of a comma-separated list, blanks dropped.
  static func split(_ text: String) -> [String] {
    text.split(whereSeparator: { $0 == "," || $0.isNewline })  // "\r\n" is one Character
      .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
  }

  /// The file an `@FILE` argument names, or nil for an inline list.
  static func file(of text: String?) -> String? {
    guard let text, text.hasPrefix("@") else { return nil }
    return String(text.dropFirst())
  }

  /// The ids of an inline list or of the file of an `@FILE` argument of `option`.
  static func read(_ text: String, option: String) throws -> [String] {
    guard let path = file(of: text) else { return split(text) }
    guard !path.isEmpty else { throw UsageFailure("\(option): give a file name after @") }
    if let problem = FileIdentity.readProblem(at: path) {
      switch problem {
      case .missing: throw UsageFailure("\(option): no file '\(terminalSafe(path))'")
      case .directory: throw UsageFailure("\(option): '\(terminalSafe(path))' is a directory, not a file of ids")
      case .empty: return []
      case .special(let kind): throw UsageFailure("\(option): '\(terminalSafe(path))' is a \(kind), not a file of ids")
      }
    }
    do {
      return split(try String(contentsOfFile: path, encoding: .utf8))
    } catch {
      throw CommandFailure(
        "\(option): cannot read '\(terminalSafe(path))' as UTF-8 text: \(error.localizedDescription)")
    }
  }
}

/// One line of `compactrec recommend --users` output:
/// `{"user":ID,"items":[{"item":ID,"score":S},...]}` with a newline, ids as JSON strings. The
/// key order is fixed: `OutputPath.recommendationsSignature` recognizes an earlier output by it.
enum RecommendationLine {
  static func json(user: String, _ items: [(item: String, score: Float)]) -> String {
    var line = "{\"user\":" + quoted(user) + ",\"items\":["
    for (n, entry) in items.enumerated() {
      if n > 0 { line += "," }
      line += "{\"item\":" + quoted(entry.item) + ",\"score\":" + "\(entry.score)" + "}"
    }
    return line + "]}\n"
  }

  /// `text` as a JSON string literal.
  static func quoted(_ text: String) -> String {
    var out = ""
    JSONValue.appendQuoted(text, to: &out)
    return out
  }
}
