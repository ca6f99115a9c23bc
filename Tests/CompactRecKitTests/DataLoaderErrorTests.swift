import Testing

@testable import CompactRecKit

/// Bad input: each problem is a `DataError` naming the file, line and field, or, with
/// `skipBadLines`, a count in the summary.
@Suite struct DataLoaderErrorTests {
  let loo = LoadOptions(split: .leaveOneOut)
  let looSkipping = LoadOptions(split: .leaveOneOut, skipBadLines: true)

  @Test func refusesMissingAndEmptyInput() {
    let folder = DataTestFolder()
    let missing = folder.path + "/none.csv"
    #expect(throws: DataError(file: missing, message: "no such file or directory")) {
      try DataLoader.load(path: missing, options: loo)
    }
    let empty = folder.write("empty.csv", "")
    #expect(throws: DataError(file: empty, message: "file is empty")) {
      try DataLoader.load(path: empty, options: loo)
    }
    let blank = folder.write("blank.txt", "\n  \n")
    #expect(throws: DataError(file: blank, message: "no interactions found")) {
      try DataLoader.load(path: blank, options: loo)
    }
    let headerOnly = folder.write("header.csv", "user_id,item_id\n")
    #expect(throws: DataError(file: headerOnly, message: "no interactions found")) {
      try DataLoader.load(path: headerOnly, options: loo)
    }
  }

  @Test func asksForASplitThatFitsThePath() {
    let folder = DataTestFolder()
    let file = folder.write("a.txt", "u a b\n")
    #expect(
      throws: DataError(
        file: file, text: "a single file needs \(setting: .split) (given, loo, ratio:0.2, sequence)")
    ) { try DataLoader.load(path: file) }
    #expect(
      throws: DataError(
        file: file, text: "\(setting: .split, "given") needs a directory holding train.txt and test.txt")
    ) { try DataLoader.load(path: file, options: LoadOptions(split: .given)) }
    #expect(
      throws: DataError(setting: .split, text: "test fraction must be in (0, 1), found 2.0")
    ) {
      try DataLoader.load(
        path: file, options: LoadOptions(split: .randomRatio(test: 2, validation: 0, seed: 1)))
    }
    let given = DataTestFolder()
    given.write("train.txt", "u a\n")
    given.write("test.txt", "u a\n")
    #expect(
      throws: DataError(
        file: given.path,
        text: "holds a given split (train.txt, test.txt); use \(setting: .split, "given"), "
          + "or pass a single file to split it")
    ) { try DataLoader.load(path: given.path, options: loo) }
  }

  @Test("the library words settings in its API's terms; a tool renders them in its own")
  func settingWords() {
    let error = DataError(
      file: "a.txt", text: "use \(setting: .split, "given"), or set \(setting: .format) and \(setting: .resume)")
    #expect(
      error.description
        == "a.txt: use LoadOptions.split = given, or set LoadOptions.format and CheckpointOptions.resume")
    let flags = error.message { setting, value in "--\(setting.rawValue)" + (value.map { " \($0)" } ?? "") }
    #expect(flags == "a.txt: use --split given, or set --format and --resume")
    let atSetting = DataError(setting: .split, text: "expected a fraction")
    #expect(atSetting.description == "LoadOptions.split: expected a fraction")
    #expect(atSetting.message { _, _ in "--split" } == "--split: expected a fraction")
    #expect(ExportError.noHistories.description.contains("saved with TrainedModel.keepHistories = false"))
    let exists = OutputPathError(path: "m.ckpt", option: "--checkpoint", reason: .exists)
    #expect(exists.description.contains("pass CheckpointOptions.resume to continue that run"))
  }

  @Test func explainsWhatADirectoryLacks() {
    let folder = DataTestFolder()
    folder.write("train.txt", "u a\n")
    #expect(
      throws: DataError(
        file: folder.path,
        message: "has train.txt but no test.txt; a given split needs both (per-user lines: user item item ...)")
    ) { try DataLoader.load(path: folder.path, options: loo) }
    let empty = DataTestFolder()
    #expect(
      throws: DataError(
        file: empty.path,
        message: "no data file found; looked for train.txt + test.txt, *.inter, "
          + "sequences.txt, sessions.csv")
    ) { try DataLoader.load(path: empty.path, options: loo) }
    folder.write("a.inter", "u\ti\n")
    folder.write("sequences.txt", "u i\n")
    #expect(
      throws: DataError(
        file: folder.path,
        message: "holds several data files (a.inter, sequences.txt); pass one of them")
    ) { try DataLoader.load(path: folder.path, options: loo) }
  }

  @Test func reportsWrongFieldCounts() throws {
    let folder = DataTestFolder()
    let fewer = folder.write("a.csv", "user,item,ts\nu1,i1,5\nu2,i2\n")
    #expect(
      throws: DataError(file: fewer, line: 3, column: 3, message: "expected 3 fields, found 2")
    ) { try DataLoader.load(path: fewer, options: loo) }
    let more = folder.write("b.csv", "u1,i1\nu1,i2,x\n")
    #expect(
      throws: DataError(file: more, line: 2, column: 3, message: "expected 2 fields, found 3")
    ) { try DataLoader.load(path: more, options: loo) }
    let both = folder.write("c.csv", "user,item,ts\nu1,i1,5\nu2,i2\nu3,i3,7,8\nu1,i4,6\n")
    let data = try DataLoader.load(path: both, options: looSkipping)
    #expect(data.summary.skippedLines == 2)
    #expect(data.summary.skipReasons == ["wrong field count": 2])
    #expect(data.summary.linesRead == 5 && data.summary.interactions == 2)
    #expect(data.users.ids == ["u1"])
  }

  @Test func reportsBadTimestamps() throws {
    let folder = DataTestFolder()
    let notANumber = folder.write("a.csv", "user_id,item_id,timestamp\nu1,i1,abc\n")
    #expect(
      throws: DataError(
        file: notANumber, line: 2, column: 3, message: "expected a number, found \"abc\"")
    ) { try DataLoader.load(path: notANumber, options: loo) }
    let overflowing = folder.write(
      "b.csv",
      """
      user_id,item_id,timestamp
      u1,i1,5
      u1,i2,1e300
      u1,i3,inf
      u1,i4,18014398509481984
      u1,i5,

      """)
    #expect(
      throws: DataError(
        file: overflowing, line: 3, column: 3,
        message: "timestamp out of range (not finite or above 2^53), found \"1e300\"")
    ) { try DataLoader.load(path: overflowing, options: loo) }
    let data = try DataLoader.load(path: overflowing, options: looSkipping)
    #expect(data.summary.skipReasons == ["timestamp out of range": 3, "bad timestamp": 1])
    #expect(data.summary.skippedLines == 4 && data.summary.interactions == 1)
  }

  @Test func reportsARequestedColumnMissingFromTheHeader() {
    let folder = DataTestFolder()
    let path = folder.write("a.inter", "user_id:token\titem_id:token\ttimestamp:float\nu1\ti1\t1\n")
    #expect(
      throws: DataError(
        file: path, line: 1, message: "column 'movie' not in header: user_id, item_id, timestamp")
    ) {
      try DataLoader.load(
        path: path, options: LoadOptions(split: .leaveOneOut, itemColumn: "movie"))
    }
    #expect(
      throws: DataError(
        file: path, line: 1, message: "column 4 is out of range: lines have 3 fields")
    ) {
      try DataLoader.load(path: path, options: LoadOptions(split: .leaveOneOut, timeColumn: "4"))
    }
    let noHeader = folder.write("b.csv", "u1,i1\n")
    #expect(
      throws: DataError(
        file: noHeader, line: 1,
        message: "column 'who' is given by name, but the first line is not a header; "
          + "give a 1-based position")
    ) {
      try DataLoader.load(
        path: noHeader, options: LoadOptions(split: .leaveOneOut, userColumn: "who", header: false))
    }
  }

  @Test func reportsEmptyIdsAndBadQuoting() throws {
    let folder = DataTestFolder()
    let empty = folder.write("a.csv", "user_id,item_id\n,i1\nu1,\"\"\nu1,i2\n")
    #expect(
      throws: DataError(
        file: empty, line: 2, column: 1, message: "expected a user id, found an empty field")
    ) { try DataLoader.load(path: empty, options: loo) }
    let quoted = folder.write("b.csv", "user_id,item_id\n\"u1,i1\nu1,i1\n")
    #expect(
      throws: DataError(file: quoted, line: 2, column: 1, message: "unterminated quoted field")
    ) { try DataLoader.load(path: quoted, options: loo) }
    let skipped = try DataLoader.load(path: empty, options: looSkipping)
    #expect(skipped.summary.skipReasons == ["empty id": 2])
    let sessions = folder.write("sessions.csv", "a,,b\nc,d\n")
    #expect(
      throws: DataError(
        file: sessions, line: 1, column: 2, message: "expected an item id, found an empty field")
    ) { try DataLoader.load(path: sessions, options: loo) }
  }

  @Test func reportsInvalidUTF8() throws {
    let folder = DataTestFolder()
    folder.write(
      "train.txt", bytes: Array("u1 a b\nu2 c ".utf8) + [0xFF, 0xFE] + Array(" d\n".utf8))
    folder.write("test.txt", "u1 c\n")
    #expect(
      throws: DataError(
        file: folder.path + "/train.txt", line: 2, column: 3, message: "invalid UTF-8")
    ) { try DataLoader.load(path: folder.path) }
    let data = try DataLoader.load(path: folder.path, options: LoadOptions(skipBadLines: true))
    #expect(data.summary.skipReasons == ["invalid UTF-8": 1])
    #expect(data.summary.unknownTestItems == 1, "c was on the skipped line")
    let csv = folder.write(
      "a.csv", bytes: Array("user_id,item_id\nu1,".utf8) + [0xFF, 0xFE] + [0x0A])
    #expect(throws: DataError(file: csv, line: 2, column: 2, message: "invalid UTF-8")) {
      try DataLoader.load(path: csv, options: loo)
    }
  }

  @Test func reportsTestIdsUnknownToTraining() throws {
    let folder = DataTestFolder()
    folder.write("train.txt", "1 a b\n2 b c\n")
    folder.write("test.txt", "1 c\n9 b\n2 a z\n")
    let test = folder.path + "/test.txt"
    #expect(
      throws: DataError(
        file: test, line: 2, column: 1, message: "user \"9\" is not in the training data")
    ) { try DataLoader.load(path: folder.path) }
    folder.write("test.txt", "1 c\n2 a z\n")
    #expect(
      throws: DataError(
        file: test, line: 2, column: 3, message: "item \"z\" is not in the training data")
    ) { try DataLoader.load(path: folder.path) }
    folder.write("test.txt", "1 c\n9 b\n2 a z\n")
    let data = try DataLoader.load(path: folder.path, options: LoadOptions(skipBadLines: true))
    #expect(data.summary.unknownTestUsers == 1 && data.summary.unknownTestItems == 1)
    #expect(data.summary.skippedLines == 0)
    #expect(data.byID(data.test) == ["1": ["c"], "2": ["a"]])
  }
}
