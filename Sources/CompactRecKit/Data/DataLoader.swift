import Foundation

/// Loads a user's interaction files into a split `Dataset`.
///
/// `path` may be:
/// - a directory holding `train.txt` and `test.txt` (and optionally `valid.txt` or
///   `validation.txt`): a given split of per-user lines, as LightGCN ships Gowalla. Every
///   user and item of the held-out files must occur in `train.txt`;
/// - a directory holding exactly one of `*.inter`, `sequences.txt` or `sessions.csv`: that
///   file is loaded;
/// - a file, read in `options.format` (see `InputFormat.auto` for detection) and divided by
///   `options.split`, which a single file must have.
///
/// Lists keep time order when the file has timestamps and file order otherwise. Ids are
/// interned in first-seen order, so loading the same files gives the same indices. Anything
/// wrong with the input is a thrown `DataError` naming the file, line and field; with
/// `options.skipBadLines`, bad lines are skipped and counted in `Dataset.summary` instead.
public enum DataLoader {
  /// Loads the file or directory at `path`. Throws a `DataError` for missing, empty or
  /// malformed input and for options that do not fit the data.
  public static func load(path: String, options: LoadOptions = LoadOptions()) throws -> Dataset {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DataError(file: path, message: "no such file or directory")
    }
    try options.split?.validate()
    let name = URL(fileURLWithPath: path).lastPathComponent
    var data =
      isDirectory.boolValue
      ? try loadDirectory(path, name: name, options: options)
      : try loadFile(path, name: name, options: options)
    data.source = DataSource(path: path, options: options)
    return data
  }

  /// A given split, or the one data file the directory holds.
  private static func loadDirectory(
    _ directory: String, name: String, options: LoadOptions
  ) throws -> Dataset {
    let contents: [String]
    do {
      contents = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    } catch {
      throw DataError(
        file: directory, message: "cannot list the directory (\(error.localizedDescription))")
    }
    if contents.contains("train.txt") && contents.contains("test.txt") {
      guard options.split == nil || options.split == .given else {
        throw DataError(
          file: directory,
          text: "holds a given split (train.txt, test.txt); use \(setting: .split, "given"), "
            + "or pass a single file to split it")
      }
      guard options.format == .auto || options.format == .userItemLists else {
        throw DataError(
          file: directory,
          text: "train.txt and test.txt hold per-user lists; "
            + "\(setting: .format, options.format.rawValue) does not apply")
      }
      let validation = contents.filter { $0 == "valid.txt" || $0 == "validation.txt" }
      guard validation.count <= 1 else {
        throw DataError(file: directory, message: "holds both valid.txt and validation.txt")
      }
      return try loadGivenSplit(
        train: join(directory, "train.txt"),
        validation: validation.first.map { join(directory, $0) },
        test: join(directory, "test.txt"), name: name, options: options)
    }
    guard options.split != .given else {
      throw DataError(
        file: directory, text: "\(setting: .split, "given") needs train.txt and test.txt in the directory")
    }
    let candidates = contents.filter {
      $0.hasSuffix(".inter") || $0 == "sequences.txt" || $0 == "sessions.csv"
    }
    for (present, missing) in [("train.txt", "test.txt"), ("test.txt", "train.txt")]
    where candidates.isEmpty && contents.contains(present) && !contents.contains(missing) {
      throw DataError(
        file: directory,
        message: "has \(present) but no \(missing); a given split needs both (per-user lines: user item item ...)")
    }
    guard candidates.count == 1 else {
      throw candidates.isEmpty
        ? DataError(
          file: directory,
          message: "no data file found; looked for train.txt + test.txt, *.inter, "
            + "sequences.txt, sessions.csv")
        : DataError(
          file: directory,
          message: "holds several data files (\(candidates.joined(separator: ", "))); "
            + "pass one of them")
    }
    return try loadFile(join(directory, candidates[0]), name: name, options: options)
  }

  /// `train.txt` defines the users and items; the held-out files are read against them.
  private static func loadGivenSplit(
    train trainPath: String, validation validationPath: String?, test testPath: String,
    name: String, options: LoadOptions
  ) throws -> Dataset {
    var summary = LoadSummary()
    var data = RawInteractions()
    summary.files.append(trainPath)
    try UserListParser.read(
      try TextFile(path: trainPath), into: &data, skipBadLines: options.skipBadLines,
      summary: &summary)
    guard data.lists.contains(where: { !$0.isEmpty }) else {
      throw DataError(file: trainPath, message: "no interactions found")
    }
    func readHeldOut(_ path: String) throws -> [[Int32]] {
      summary.files.append(path)
      return try UserListParser.readHeldOut(
        try TextFile(path: path), users: data.users, items: data.items,
        skipBadLines: options.skipBadLines, summary: &summary)
    }
    var validation =
      try validationPath.map(readHeldOut) ?? Array(repeating: [], count: data.users.count)
    var test = try readHeldOut(testPath)
    var train = data.lists
    var duplicates = DuplicateFilter(
      itemCount: data.items.count, policy: options.duplicatePolicy(for: .userItemLists))
    for user in train.indices {
      let index = Int32(user)
      train[user] = duplicates.filter(train[user], user: index, summary: &summary)
      validation[user] = duplicates.filter(validation[user], user: index, summary: &summary)
      test[user] = duplicates.filter(test[user], user: index, summary: &summary)
    }
    summary.interactions = [train, validation, test].joined().reduce(0) { $0 + $1.count }
    return Dataset(
      name: name, users: data.users, items: data.items, train: train, validation: validation,
      test: test, summary: summary)
  }

  /// One file of interactions, split by `options.split`.
  private static func loadFile(
    _ path: String, name: String, options: LoadOptions
  ) throws -> Dataset {
    guard let split = options.split else {
      throw DataError(
        file: path, text: "a single file needs \(setting: .split) (given, loo, ratio:0.2, sequence)")
    }
    guard split != .given else {
      throw DataError(
        file: path, text: "\(setting: .split, "given") needs a directory holding train.txt and test.txt")
    }
    let file = try TextFile(path: path)
    var summary = LoadSummary()
    summary.files = [path]
    var data = RawInteractions()
    let format = options.format == .auto ? detectFormat(file) : options.format
    switch format {
    case .auto, .userItemLists:
      try UserListParser.read(
        file, into: &data, skipBadLines: options.skipBadLines, summary: &summary)
    case .delimited:
      try DelimitedParser.read(file, options: options, into: &data, summary: &summary)
    case .sessions:
      let separator = try FieldSeparator(delimiter: options.delimiter ?? ",", file: path)
      try SessionParser.read(
        file, separator: separator, into: &data, skipBadLines: options.skipBadLines,
        summary: &summary)
    }
    var sequences = data.timeOrderedLists()
    var duplicates = DuplicateFilter(
      itemCount: data.items.count, policy: options.duplicatePolicy(for: format))
    for user in sequences.indices {
      sequences[user] = duplicates.filter(sequences[user], user: Int32(user), summary: &summary)
    }
    guard sequences.contains(where: { !$0.isEmpty }) else {
      throw DataError(file: path, message: "no interactions found")
    }
    let lists = Splits.split(sequences, by: split)
    summary.interactions = sequences.reduce(0) { $0 + $1.count }
    return Dataset(
      name: name, users: data.users, items: data.items, train: lists.train,
      validation: lists.validation, test: lists.test, heldOutUsers: lists.heldOutUsers,
      summary: summary)
  }

  /// The format `InputFormat.auto` stands for: by extension, else by the first line.
  private static func detectFormat(_ file: TextFile) -> InputFormat {
    let url = URL(fileURLWithPath: file.path)
    switch url.pathExtension.lowercased() {
    case "inter", "tsv": return .delimited
    case "csv":
      return url.lastPathComponent.lowercased().contains("session") ? .sessions : .delimited
    case "txt": return .userItemLists
    default:
      let firstLine = file.bytes.prefix { $0 != 0x0A }
      return firstLine.contains { $0 == 0x09 || $0 == 0x2C || $0 == 0x3B }
        ? .delimited : .userItemLists
    }
  }

  /// `directory/name`, keeping the directory as the user wrote it.
  private static func join(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }
}
