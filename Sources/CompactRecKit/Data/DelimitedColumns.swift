/// Where the user, item and timestamp columns of a delimited file are, decided from its
/// first line and the options.
///
/// With a header, columns are found by name: the requested name, else a common one (user_id,
/// user, userId, uid, session_id; item_id, item, itemId, movie_id, product_id; timestamp,
/// time, ts), else the first and second columns for user and item. RecBole headers such as
/// `user_id:token` are matched by the part before the type. Without a header, the user is
/// column 1, the item column 2, and the timestamp the last column when there are at least
/// three and the first line holds a number there. Requested columns may always be 1-based
/// positions such as `"3"`.
struct DelimitedColumns {
  /// Whether the first line is a header rather than data.
  let hasHeader: Bool
  /// How many fields every data line has.
  let fieldCount: Int
  /// 0-based column of the user id.
  let user: Int
  /// 0-based column of the item id.
  let item: Int
  /// 0-based column of the timestamp, if the file has one in use.
  let time: Int?

  private static let userNames: Set<String> = [
    "user_id", "userid", "user", "uid", "session_id", "sessionid",
  ]
  private static let itemNames: Set<String> = [
    "item_id", "itemid", "item", "iid", "movie_id", "movieid", "product_id", "productid",
  ]
  private static let timeNames: Set<String> = ["timestamp", "time", "ts"]
  /// Every name that marks a first line as a header.
  private static let knownNames = userNames.union(itemNames).union(timeNames).union(["rating"])
  private static let recBoleTypes: Set<String> = ["token", "token_seq", "float", "float_seq"]

  /// Lays out the columns from `fields`, the first line of `file` (line `lineNumber`).
  /// Throws a `DataError` when there are fewer than two fields or a requested column is not
  /// there.
  init(firstLine fields: [String], lineNumber: Int, options: LoadOptions, file: String) throws {
    let requested = [options.userColumn, options.itemColumn, options.timeColumn]
      .compactMap { $0 }.filter { Int($0) == nil }.map { Self.key($0) }
    hasHeader =
      options.header
      ?? fields.contains { field in
        Self.hasRecBoleType(field) || Self.knownNames.contains(Self.key(field))
          || requested.contains(Self.key(field))
      }
    fieldCount = fields.count
    guard fieldCount >= 2 else {
      throw DataError(
        file: file, line: lineNumber,
        message: "expected at least 2 fields (user, item), found \(fieldCount)")
    }
    let names = hasHeader ? fields.map { Self.strippingType($0) } : nil

    /// The 0-based column asked for, else the first one with a common name, else nil.
    func locate(_ requested: String?, commonNames: Set<String>) throws -> Int? {
      guard let requested else {
        return names?.firstIndex { commonNames.contains($0.lowercased()) }
      }
      let key = Self.key(requested)
      if let index = names?.firstIndex(where: { $0.lowercased() == key }) { return index }
      if let position = Int(requested) {
        guard position >= 1 && position <= fields.count else {
          throw DataError(
            file: file, line: lineNumber,
            message: "column \(position) is out of range: lines have \(fields.count) fields")
        }
        return position - 1
      }
      guard let names else {
        throw DataError(
          file: file, line: lineNumber,
          message: "column '\(requested)' is given by name, but the first line is not a header; "
            + "give a 1-based position")
      }
      throw DataError(
        file: file, line: lineNumber,
        message: "column '\(requested)' not in header: \(names.joined(separator: ", "))")
    }

    user = try locate(options.userColumn, commonNames: Self.userNames) ?? 0
    item = try locate(options.itemColumn, commonNames: Self.itemNames) ?? 1
    if options.timeColumn?.lowercased() == "none" {
      time = nil
    } else if options.timeColumn != nil || hasHeader {
      time = try locate(options.timeColumn, commonNames: Self.timeNames)
    } else if fieldCount >= 3, case .value = Self.parseTime(fields[fieldCount - 1]) {
      time = fieldCount - 1
    } else {
      time = nil
    }
    guard user != item else {
      throw DataError(
        file: file, line: lineNumber,
        message: "the user and item columns are the same (column \(user + 1)); name them explicitly"
      )
    }
  }

  /// The outcome of reading a timestamp field.
  enum TimeParse: Equatable {
    /// A usable timestamp.
    case value(Double)
    /// Not a number.
    case notANumber
    /// Infinite, NaN, or above 2^53 in magnitude (beyond exact integers in a Double).
    case outOfRange
  }

  /// Reads a timestamp: any decimal number whose magnitude is at most 2^53.
  static func parseTime(_ text: String) -> TimeParse {
    guard let value = Double(text) else { return .notANumber }
    guard value.isFinite && value.magnitude <= 9_007_199_254_740_992 else { return .outOfRange }
    return .value(value)
  }

  /// Whether a header field has a RecBole type suffix, as in `user_id:token`.
  private static func hasRecBoleType(_ field: String) -> Bool {
    guard let colon = field.lastIndex(of: ":") else { return false }
    return recBoleTypes.contains(field[field.index(after: colon)...].lowercased())
  }

  /// A header field without its RecBole type suffix, if any.
  private static func strippingType(_ field: String) -> String {
    guard hasRecBoleType(field), let colon = field.lastIndex(of: ":") else { return field }
    return String(field[..<colon])
  }

  /// The name a column is matched by: lowercased, without a RecBole type.
  private static func key(_ name: String) -> String { strippingType(name).lowercased() }
}
