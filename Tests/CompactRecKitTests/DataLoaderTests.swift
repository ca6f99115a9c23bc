import Foundation
import Testing

@testable import CompactRecKit

/// Loading every supported layout from small hand-written files.
@Suite struct DataLoaderTests {
  @Test func loadsAGivenSplitDirectory() throws {
    let folder = DataTestFolder()
    folder.write("train.txt", "1 a b c\r\n2 b d  \r\n\r\n3\n")
    folder.write("test.txt", "1 d\n2 a\n")
    let data = try DataLoader.load(path: folder.path)
    #expect(data.users.ids == ["1", "2", "3"])
    #expect(data.items.ids == ["a", "b", "c", "d"])
    #expect(data.byID(data.train) == ["1": ["a", "b", "c"], "2": ["b", "d"], "3": []])
    #expect(data.byID(data.test) == ["1": ["d"], "2": ["a"], "3": []])
    #expect(data.validation.allSatisfy { $0.isEmpty })
    #expect(data.summary.files == [folder.path + "/train.txt", folder.path + "/test.txt"])
    #expect(data.summary.linesRead == 5)
    #expect(data.summary.interactions == 7)
    #expect(!data.summary.hasTimestamps)
  }

  @Test func readsAValidationFileOfAGivenSplit() throws {
    for name in ["valid.txt", "validation.txt"] {
      let folder = DataTestFolder()
      folder.write("train.txt", "u1 a b c\nu2 a\n")
      folder.write(name, "u1 d\n")
      folder.write("test.txt", "u1 e\n")
      let error = DataError(
        file: folder.path + "/\(name)", line: 1, column: 2,
        message: "item \"d\" is not in the training data")
      #expect(throws: error) { try DataLoader.load(path: folder.path + "/") }
      folder.write("train.txt", "u1 a b c\nu2 a d e\n")
      let data = try DataLoader.load(path: folder.path, options: LoadOptions(split: .given))
      #expect(data.byID(data.validation) == ["u1": ["d"], "u2": []])
      #expect(data.byID(data.test) == ["u1": ["e"], "u2": []])
      #expect(data.summary.files.last == folder.path + "/test.txt")
    }
  }

  @Test func loadsARecBoleInterFileInTimeOrder() throws {
    let folder = DataTestFolder()
    let path = folder.write(
      "ratings.inter",
      """
      user_id:token\titem_id:token\trating:float\ttimestamp:float
      u1\ti1\t5\t300
      u1\ti2\t3\t100
      u2\ti1\t4\t50
      u1\ti3\t1\t100
      u1\ti4\t2\t400

      """)
    let data = try DataLoader.load(path: path, options: LoadOptions(split: .leaveOneOut))
    #expect(data.name == "ratings.inter")
    #expect(
      data.byID(data.train) == ["u1": ["i2", "i3"], "u2": ["i1"]], "equal times keep file order")
    #expect(data.byID(data.validation) == ["u1": ["i1"], "u2": []])
    #expect(data.byID(data.test) == ["u1": ["i4"], "u2": []])
    #expect(data.summary.headerDetected && data.summary.hasTimestamps)
    #expect(data.summary.linesRead == 6 && data.summary.interactions == 5)
  }

  @Test func detectsACSVHeaderByCommonNames() throws {
    let folder = DataTestFolder()
    let path = folder.write(
      "log.csv", "movieId,userId,rating,timestamp\r\nm1,u1,4,20\r\nm2,u1,5,10\r\n")
    let data = try DataLoader.load(path: path, options: LoadOptions(split: .leaveOneOut))
    #expect(data.summary.headerDetected && data.summary.hasTimestamps)
    #expect(data.byID(data.train) == ["u1": ["m2"]])
    #expect(data.byID(data.test) == ["u1": ["m1"]])
  }

  @Test func findsRequestedColumnsByNameOrPosition() throws {
    let folder = DataTestFolder()
    let named = folder.write("a.csv", "who;what;when\nu1;x;2\nu1;y;1\n")
    let options = LoadOptions(
      split: .leaveOneOut, userColumn: "who", itemColumn: "What", timeColumn: "when")
    let data = try DataLoader.load(path: named, options: options)
    #expect(data.summary.headerDetected)
    #expect(data.byID(data.train) == ["u1": ["y"]] && data.byID(data.test) == ["u1": ["x"]])

    let positional = folder.write("b.csv", "x,u1,2\ny,u1,1\nz,u2,5\n")
    let swapped = try DataLoader.load(
      path: positional, options: LoadOptions(split: .leaveOneOut, userColumn: "2", itemColumn: "1"))
    #expect(!swapped.summary.headerDetected && swapped.summary.hasTimestamps)
    #expect(swapped.byID(swapped.train) == ["u1": ["y"], "u2": ["z"]])
    #expect(swapped.byID(swapped.test) == ["u1": ["x"], "u2": []])
  }

  @Test func usesTheLastColumnAsTimeOnlyWhenItIsANumber() throws {
    let folder = DataTestFolder()
    let timed = folder.write("a.csv", "u1,b,3.5,20\nu1,a,2.0,10\n")
    let data = try DataLoader.load(path: timed, options: LoadOptions(split: .leaveOneOut))
    #expect(data.summary.hasTimestamps && !data.summary.headerDetected)
    #expect(data.byID(data.train) == ["u1": ["a"]])
    let untimed = folder.write("b.csv", "u1,b,x\nu1,a,y\n")
    let plain = try DataLoader.load(path: untimed, options: LoadOptions(split: .leaveOneOut))
    #expect(!plain.summary.hasTimestamps)
    #expect(plain.byID(plain.train) == ["u1": ["b"]])
    let ignored = try DataLoader.load(
      path: timed, options: LoadOptions(split: .leaveOneOut, timeColumn: "none"))
    #expect(!ignored.summary.hasTimestamps)
    #expect(ignored.byID(ignored.train) == ["u1": ["b"]])
  }

  @Test func honoursAForcedHeaderChoice() throws {
    let folder = DataTestFolder()
    let path = folder.write("a.csv", "a,b\nuser,item\n")
    let headed = try DataLoader.load(
      path: path, options: LoadOptions(split: .leaveOneOut, header: true))
    #expect(headed.summary.headerDetected)
    #expect(headed.byID(headed.train) == ["user": ["item"]])
    let plain = try DataLoader.load(
      path: path, options: LoadOptions(split: .leaveOneOut, header: false))
    #expect(!plain.summary.headerDetected)
    #expect(plain.byID(plain.train) == ["a": ["b"], "user": ["item"]])
  }

  @Test func readsQuotedCSVFields() throws {
    let folder = DataTestFolder()
    let path = folder.write(
      "q.csv",
      #"user,item"# + "\n" + #""Doe, Jane","The ""Best"" Song""# + "\n" + #""Doe, Jane",plain"#
        + "\n")
    let data = try DataLoader.load(path: path, options: LoadOptions(split: .leaveOneOut))
    #expect(data.users.ids == ["Doe, Jane"])
    #expect(data.items.ids == [#"The "Best" Song"#, "plain"])
  }

  @Test func detectsSemicolonsAndSpaces() throws {
    let folder = DataTestFolder()
    let semicolons = try DataLoader.load(
      path: folder.write("a.csv", "u1;i1\nu1;i2\n"), options: LoadOptions(split: .leaveOneOut))
    #expect(semicolons.items.ids == ["i1", "i2"])
    let spaces = try DataLoader.load(
      path: folder.write("b.tsv", "u1  i1\nu1 i2\n"),
      options: LoadOptions(split: .leaveOneOut))
    #expect(spaces.items.ids == ["i1", "i2"])
    let forced = try DataLoader.load(
      path: folder.write("c.csv", "u1|i1,x\nu1|i2,y\n"),
      options: LoadOptions(split: .leaveOneOut, delimiter: "|"))
    #expect(forced.items.ids == ["i1,x", "i2,y"])
  }

  @Test func loadsSessionsWithLineNumbersAsIDs() throws {
    let folder = DataTestFolder()
    let path = folder.write("sessions.csv", "a,b,a\n\nc,d\n")
    let data = try DataLoader.load(path: path, options: LoadOptions(split: .leaveOneOut))
    #expect(data.users.ids == ["1", "3"])
    #expect(data.byID(data.train) == ["1": ["a"], "3": ["c"]])
    #expect(data.byID(data.validation) == ["1": ["b"], "3": []])
    #expect(data.byID(data.test) == ["1": ["a"], "3": ["d"]])
    #expect(data.summary.duplicatesKept == 1)
    let asSessions = try DataLoader.load(
      path: folder.write("plays.txt", "x;y\n"),
      options: LoadOptions(format: .sessions, split: .leaveOneOut, delimiter: ";"))
    #expect(asSessions.byID(asSessions.train) == ["1": ["x"]])
  }

  @Test func picksTheOneDataFileOfADirectory() throws {
    let folder = DataTestFolder()
    folder.write("README.md", "about")
    folder.write("beauty.inter", "user_id:token\titem_id:token\nu1\ti1\nu1\ti2\n")
    let data = try DataLoader.load(path: folder.path, options: LoadOptions(split: .leaveOneOut))
    #expect(data.name == URL(fileURLWithPath: folder.path).lastPathComponent)
    #expect(data.summary.files == [folder.path + "/beauty.inter"])
    #expect(data.byID(data.test) == ["u1": ["i2"]])
  }

  @Test func detectsTheFormatOfOtherFilesFromTheFirstLine() throws {
    let folder = DataTestFolder()
    let delimited = try DataLoader.load(
      path: folder.write("log.dat", "u1\ti1\nu1\ti2\n"), options: LoadOptions(split: .leaveOneOut))
    #expect(delimited.users.ids == ["u1"])
    let lists = try DataLoader.load(
      path: folder.write("seqs", "u1 i1 i2\n"), options: LoadOptions(split: .leaveOneOut))
    #expect(lists.byID(lists.test) == ["u1": ["i2"]])
  }

  @Test func dropsRepeatsAcrossTrainAndTestByDefault() throws {
    let folder = DataTestFolder()
    folder.write("train.txt", "1 a b a\n2 c\n3 d\n")
    folder.write("test.txt", "1 b\n1 d\n2 d d\n")
    let data = try DataLoader.load(path: folder.path)
    #expect(data.byID(data.train) == ["1": ["a", "b"], "2": ["c"], "3": ["d"]])
    #expect(data.byID(data.test) == ["1": ["d"], "2": ["d"], "3": []])
    #expect(data.summary.duplicatesDropped == 3 && data.summary.duplicatesKept == 0)
    #expect(data.summary.interactions == 6)
    let kept = try DataLoader.load(path: folder.path, options: LoadOptions(duplicates: .keep))
    #expect(kept.byID(kept.train) == ["1": ["a", "b", "a"], "2": ["c"], "3": ["d"]])
    #expect(kept.byID(kept.test) == ["1": ["b", "d"], "2": ["d", "d"], "3": []])
    #expect(kept.summary.duplicatesKept == 3 && kept.summary.duplicatesDropped == 0)
  }

  @Test func keepsRepeatsOfSequencesByDefault() throws {
    let folder = DataTestFolder()
    let path = folder.write("seq.txt", "u a b a c\n")
    let sequential = try DataLoader.load(path: path, options: LoadOptions(split: .leaveOneOut))
    #expect(sequential.byID(sequential.train) == ["u": ["a", "b"]])
    #expect(sequential.byID(sequential.validation) == ["u": ["a"]])
    #expect(sequential.summary.duplicatesKept == 1)
    let ratio = try DataLoader.load(
      path: path, options: LoadOptions(split: .randomRatio(test: 0.3, validation: 0, seed: 1)))
    #expect(ratio.summary.duplicatesDropped == 1)
    #expect((ratio.train[0] + ratio.test[0]).count == 3)
  }

  @Test func bySequenceSplitMarksHeldOutUsers() throws {
    let folder = DataTestFolder()
    let path = folder.write(
      "seq.txt", (1...10).map { "u\($0) a\($0) b\($0) c\($0)" }.joined(separator: "\n"))
    let data = try DataLoader.load(
      path: path, options: LoadOptions(split: .bySequence(testFraction: 0.2, seed: 11)))
    let heldOut = data.heldOutUsers.indices.filter { data.heldOutUsers[$0] }
    #expect(heldOut.count == 2)
    for user in heldOut {
      let id = data.users[Int32(user)].dropFirst()
      #expect(data.train[user].map { data.items[$0] } == ["a\(id)", "b\(id)"])
      #expect(data.test[user].map { data.items[$0] } == ["c\(id)"])
    }
    #expect(data.trainInteractionCount == 8 * 3)
    #expect(data.summary.interactions == 30)
  }

  @Test func summaryDescribesTheLoad() throws {
    var summary = LoadSummary()
    summary.files = ["a.csv"]
    summary.linesRead = 10
    summary.interactions = 7
    summary.skippedLines = 2
    summary.skipReasons = ["wrong field count": 1, "bad timestamp": 1]
    summary.headerDetected = true
    #expect(
      summary.description == """
        files: a.csv
        lines read: 10, interactions kept: 7
        duplicates: 0 dropped, 0 kept
        skipped lines: 2 (bad timestamp: 1, wrong field count: 1)
        header: yes, timestamps: no
        """)
  }
}
