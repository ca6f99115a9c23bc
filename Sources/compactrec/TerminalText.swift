import Foundation

/// `text` with control characters (tabs, newlines, escape sequences: C0, DEL and C1) shown
/// as `\t`, `\n` or `\u{1B}` (and a backslash as `\\`), so that ids and paths from a data file cannot break the
/// tab-separated output or drive the terminal. Everything else, including non-ASCII letters,
/// is kept. O(n).
func terminalSafe(_ text: String) -> String {
  guard text.unicodeScalars.contains(where: { isControl($0) || $0 == "\\" }) else { return text }
  var out = ""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\t": out += "\\t"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\\": out += "\\\\"
    case _ where isControl(scalar): out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
  scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}

/// Prints `message` on standard error as `warning: ...`: something the user should know that
/// does not stop the command.
func printWarning(_ message: String) {
  FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
