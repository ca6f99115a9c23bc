import Foundation
import Testing

@testable import CompactRecKit

/// The `compactrec` tool under careless and hostile input, one test per defect class of the
/// hardening issue: no user file is lost, nothing crashes, every refusal names what is wrong,
/// usage errors exit 64 and other failures 1.
@Suite("compactrec under careless input", .serialized)
struct CarelessInputTests {
  private static let binary = CompactRecTool.path

  /// A folder with `log.csv`: 40 users, 8 timed interactions each over 30 items.
  private func folderWithLog() -> (folder: DataTestFolder, log: String) {
    let folder = DataTestFolder()
    var text = "user,item,time\n"
    for u in 0..<40 {
      for t in 0..<8 { text += "u\(u),i\((u * 7 + t * 3) % 30),\(t)\n" }
    }
    return (folder, folder.write("log.csv", text))
  }

  private func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    try CompactRecTool.run(arguments)
  }

  private func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

  private func train(_ data: String, _ extra: [String]) throws -> (status: Int32, out: String, err: String) {
    try run(["train", "--data", data, "--split", "loo"] + extra)
  }

  @Test(
    "1. --checkpoint naming an input or the model is refused before work; the input survives",
    .enabled(if: binary != nil))
  func checkpointPaths() throws {
    let (folder, log) = folderWithLog()
    let before = contents(log)
    let out = folder.path + "/m.crm"
    let onInput = try train(log, ["--model", "mf-bpr", "--epochs", "1", "--out", out, "--checkpoint", log])
    #expect(
      onInput.status == 1 && onInput.err.contains("--checkpoint \(log): is an input of this command"), "\(onInput.err)")
    #expect(contents(log) == before)
    #expect(!FileManager.default.fileExists(atPath: out))
    let onModel = try train(log, ["--model", "mf-bpr", "--epochs", "1", "--out", out, "--checkpoint", out])
    #expect(onModel.status == 1 && onModel.err.contains("is the same file as --out"), "\(onModel.err)")
    // A checkpoint left by another run is not overwritten (nor deleted) by a fresh run.
    let stale = folder.write("m.crm.ckpt", "someone's file\n")
    let fresh = try train(log, ["--model", "mf-bpr", "--epochs", "1", "--out", out])
    #expect(fresh.status == 1 && fresh.err.contains("pass --resume to continue that run"), "\(fresh.err)")
    #expect(contents(stale) == Data("someone's file\n".utf8))
    // The run's own checkpoint is removed once the model is written.
    try FileManager.default.removeItem(atPath: stale)
    let ok = try train(log, ["--model", "mf-bpr", "--epochs", "1", "--out", out])
    #expect(ok.status == 0, "\(ok.err)")
    #expect(!FileManager.default.fileExists(atPath: stale) && FileManager.default.fileExists(atPath: out))
  }

  @Test("2. --out never replaces an input, a device or a file that is not a model", .enabled(if: binary != nil))
  func outPaths() throws {
    let (folder, log) = folderWithLog()
    let before = contents(log)
    let onInput = try train(log, ["--model", "mostpop", "--out", log])
    #expect(onInput.status == 1 && onInput.err.contains("is an input of this command"), "\(onInput.err)")
    // The same file under another spelling.
    let respelled = try train(log, ["--model", "mostpop", "--out", folder.path + "/./log.csv"])
    #expect(respelled.status == 1 && respelled.err.contains("is an input of this command"), "\(respelled.err)")
    #expect(contents(log) == before)
    let device = try train(log, ["--model", "mostpop", "--out", "/dev/null"])
    #expect(device.status == 1 && device.err.contains("is a character device, not a regular file"), "\(device.err)")
    var info = stat()
    #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    let notes = folder.write("notes.txt", "keep me\n")
    let other = try train(log, ["--model", "mostpop", "--out", notes])
    #expect(other.status == 1 && other.err.contains("is not a CompactRec model file"), "\(other.err)")
    #expect(contents(notes) == Data("keep me\n".utf8))
    // A model file is replaced, as retraining expects.
    let model = folder.path + "/pop.crm"
    #expect(try train(log, ["--model", "mostpop", "--out", model]).status == 0)
    #expect(try train(log, ["--model", "mostpop", "--out", model]).status == 0)
  }

  @Test(
    "3. non-finite and out-of-range settings are refused up front, naming the option",
    .enabled(if: binary != nil),
    arguments: [
      (["--model", "lightgcn", "--bits", "1", "--gste-delta", "nan"], "--gste-delta must be a finite number"),
      (["--model", "lightgcn", "--bits", "1", "--lr", "inf"], "--lr must be a finite number in (0.0, 10.0] (got inf)"),
      (["--model", "lightgcn", "--bits", "2", "--lr", "1e30"], "--lr must be a finite number in (0.0, 10.0]"),
      (["--model", "mf-bpr", "--lr", "inf"], "--lr must be a finite number"),
      (["--model", "mf-bpr", "--l2=-1"], "--l2 must be a finite number in [0.0, 100.0] (got -1.0)"),
      (["--model", "nextitnet", "--dilations", "4611686018427387904"], "--dilations must be 1 to 256 integers"),
      (["--model", "mf-bpr", "--batch-size", "4611686018427387904"], "--batch-size must be between 1 and 16777216"),
      (["--model", "mf-bpr", "--epochs", "9223372036854775807", "--eval-every", "1"], "--epochs must be between"),
      (["--model", "sasrec", "--max-length", "1099511627776"], "--max-length must be between 1 and 100000"),
      (
        ["--model", "sasrec", "--dim", "16384", "--max-length", "100000", "--batch-size", "16777216"],
        "more than this machine's"
      ),
      (["--model", "gru4rec", "--dropout", "1"], "--dropout must be a finite number in [0.0, 1.0)"),
      (["--model", "mf-bpr", "--split", "ratioo:0.2"], "--split: expected given, loo"),
    ])
  func settings(arguments: [String], message: String) throws {
    let (folder, log) = folderWithLog()
    let out = folder.path + "/m.crm"
    let result = try run(["train", "--data", log, "--split", "loo", "--out", out] + arguments)
    #expect(result.status == 64, "\(arguments): exit \(result.status)")
    #expect(result.err.contains(message), "\(result.err)")
    #expect(!result.err.contains("Fatal error") && !result.err.contains("backtrace"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["log.csv"])
  }

  @Test("4. a model with non-finite parameters is refused by recommend and evaluate", .enabled(if: binary != nil))
  func nonFiniteModel() throws {
    let (folder, log) = folderWithLog()
    let users = IDMap(ids: (0..<40).map { "u\($0)" })
    let items = IDMap(ids: (0..<30).map { "i\($0)" })
    var itemEmbedding = Matrix(rows: 30, cols: 4, repeating: 0.1)
    itemEmbedding[3, 1] = .nan
    let model = MatrixFactorization(
      userEmbedding: Matrix(rows: 40, cols: 4, repeating: 0.1), itemEmbedding: itemEmbedding)
    let dataset = Dataset(
      name: "nan", users: users, items: items, train: Array(repeating: [0], count: 40),
      validation: Array(repeating: [], count: 40), test: Array(repeating: [1], count: 40),
      heldOutUsers: Array(repeating: false, count: 40), summary: LoadSummary())
    let path = folder.path + "/nan.crm"
    try TrainedModel(model: model, dataset: dataset).save(to: path)
    let recommended = try run(["recommend", path, "--user", "u1"])
    #expect(recommended.status == 1 && recommended.err.contains("holds NaN or infinite values"), "\(recommended.err)")
    let evaluated = try run(["evaluate", path, "--data", log, "--split", "loo"])
    #expect(evaluated.status == 1 && evaluated.err.contains("holds NaN or infinite values"), "\(evaluated.err)")
  }

  @Test("7. a bad output path is refused before training, leaving nothing behind", .enabled(if: binary != nil))
  func earlyOutputChecks() throws {
    let (folder, log) = folderWithLog()
    let missing = try train(
      log, ["--model", "mf-bpr", "--epochs", "1000", "--no-checkpoint", "--out", folder.path + "/no/such/m.crm"])
    #expect(missing.status == 1 && missing.err.contains("does not exist; create it first"), "\(missing.err)")
    let directory = try train(log, ["--model", "mf-bpr", "--epochs", "1000", "--out", folder.path])
    #expect(directory.status == 1 && directory.err.contains("is a directory"), "\(directory.err)")
    #expect(!missing.out.contains("trained") && !directory.out.contains("trained"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["log.csv"])
  }

  @Test("8. results that would mislead are refused or flagged", .enabled(if: binary != nil))
  func misleadingSuccess() throws {
    let (folder, log) = folderWithLog()
    let model = folder.path + "/r.crm"
    let trained = try run([
      "train", "--model", "mf-bpr", "--data", log, "--split", "ratio:0.25", "--data-seed", "5", "--epochs", "2",
      "--out", model,
    ])
    #expect(trained.status == 0, "\(trained.err)")
    // The model's own split and seed by default; another seed is flagged.
    let own = try run(["evaluate", model, "--data", log, "--json"])
    let ownJSON = try #require(JSONSerialization.jsonObject(with: Data(own.out.utf8)) as? [String: Any])
    #expect(own.status == 0 && ownJSON["targets_in_training"] as? Int == 0, "\(own.err)")
    let other = try run(["evaluate", model, "--data", log, "--data-seed", "6", "--json"])
    let otherJSON = try #require(JSONSerialization.jsonObject(with: Data(other.out.utf8)) as? [String: Any])
    #expect((otherJSON["targets_in_training"] as? Int ?? 0) > 0)
    #expect(other.err.contains("warning:") && other.err.contains("were in the model's training data"))

    let strangers = folder.write("strangers.csv", "user,item,time\nz1,q1,1\nz1,q2,2\nz1,q3,3\n")
    let none = try run(["evaluate", model, "--data", strangers, "--split", "loo"])
    #expect(none.status == 1 && none.err.contains("shares no user or item ids with the model"), "\(none.err)")
    let noValidation = try run(["evaluate", model, "--data", log, "--target", "validation"])
    #expect(noValidation.status == 1 && noValidation.err.contains("has no validation items"), "\(noValidation.err)")

    let loo = folder.path + "/loo.crm"
    #expect(try train(log, ["--model", "mf-bpr", "--epochs", "2", "--out", loo]).status == 0)
    // u0's test item under leave-one-out is its last: item (0 * 7 + 7 * 3) % 30 = 21.
    let negatives = folder.write("negatives.txt", "u0 i21 i29\n")
    let target = try run(["evaluate", loo, "--data", log, "--split", "loo", "--negatives", negatives])
    #expect(
      target.status == 1 && target.err.contains("negatives.txt:1:2: item \"i21\" is a held-out item of user \"u0\""),
      "\(target.err)")
    let hugeK = try run(["evaluate", loo, "--data", log, "--k", "4611686018427387904"])
    #expect(
      hugeK.status == 64 && hugeK.err.contains("--k must be a comma-separated list of integers between 1 and 100000"))
    let empty = try run(["recommend", loo, "--history", ""])
    #expect(empty.status == 64 && empty.err.contains("--history is empty"), "\(empty.err)")
    let blanks = try run(["recommend", loo, "--history", " , ,"])
    #expect(blanks.status == 64 && blanks.err.contains("--history is empty"), "\(blanks.err)")
  }

  @Test(
    "8. options that do not apply to the model are refused",
    .enabled(if: binary != nil),
    arguments: [
      (
        ["--model", "mf-bpr", "--bits", "1"],
        "--bits does not apply to --model mf-bpr (it applies to: gru4rec, lightgcn, nextitnet, sasrec)"
      ),
      (["--model", "mostpop", "--epochs", "3"], "--epochs does not apply to --model mostpop"),
      (["--model", "nextitnet", "--dropout", "0.1"], "--dropout does not apply to --model nextitnet"),
      (["--model", "gru4rec", "--dilations", "1,2"], "--dilations does not apply to --model gru4rec"),
      (["--model", "sasrec", "--sampling", "users"], "--sampling does not apply to --model sasrec"),
      (["--model", "lightgcn", "--estimator", "ste"], "--estimator applies only with --bits"),
      (
        ["--model", "lightgcn", "--bits", "1", "--estimator", "ste", "--gste-delta", "1"],
        "--gste-delta applies only with --estimator gste"
      ),
      (["--model", "sasrec", "--block-factor", "2"], "--block-factor applies only with --blockwise"),
      (["--model", "mf-bpr", "--block-bits", "4,1"], "--block-bits does not apply to --model mf-bpr"),
      (["--model", "lightgcn", "--user-block-bits", "2"], "--user-block-bits applies only with --block-bits"),
      (["--model", "lightgcn", "--bits", "2", "--block-bits", "4,1"], "--bits and --block-bits both set"),
      (["--model", "lightgcn", "--block-bits", "4,2,2,1,1"], "--block-bits takes at most 4 widths"),
      (
        ["--model", "lightgcn", "--block-bits", "4,1", "--block-shares", "0.5,0.5", "--block-cutoffs", "3"],
        "--block-cutoffs and --block-shares both cut the blocks"
      ),
      (["--model", "lightgcn", "--block-shares", "0.5,0.5"], "--block-shares applies only with --block-bits"),
      (["--model", "mostpop", "--checkpoint", "x.ckpt"], "--checkpoint does not apply to --model mostpop"),
      (["--model", "lightgcn", "--loss", "bce"], "--loss for --model lightgcn is bpr or softmax:N:T, not 'bce'"),
      (["--model", "sasrec", "--loss", "bpr"], "--loss for --model sasrec is softmax or bce, not 'bpr'"),
      (["--model", "mf-bpr", "--loss", "bpr"], "--loss does not apply to --model mf-bpr"),
      (["--model", "lightgcn", "--loss", "softmax:8:0.1", "--bits", "1"], "--loss softmax:N:T trains float models"),
      (
        ["--model", "lightgcn", "--loss", "softmax:8:0.1", "--negatives", "dns:4"],
        "--negatives dns:4 draws negatives for --loss bpr; the softmax loss shares uniform ones"
      ),
      (["--model", "lightgcn", "--loss", "softmax:0:0.1"], "--loss"),
      (["--model", "mf-bpr", "--no-checkpoint", "--resume"], "--resume contradicts --no-checkpoint"),
      (["--model", "lightgcn", "--checkpoint-interval=-1"], "--checkpoint-interval must be a finite number"),
      (["--model", "lightgcn", "--checkpoint-interval", "inf"], "--checkpoint-interval must be a finite number"),
      (
        ["--model", "mf-bpr", "--no-checkpoint", "--checkpoint-interval", "5"],
        "--checkpoint-interval contradicts --no-checkpoint"
      ),
      (["--model", "sasrec", "--no-refit"], "--no-refit does not apply to --model sasrec"),
    ])
  func inapplicable(arguments: [String], message: String) throws {
    let (folder, log) = folderWithLog()
    let result = try run(["train", "--data", log, "--split", "loo", "--out", folder.path + "/m.crm"] + arguments)
    #expect(result.status == 64 && result.err.contains(message), "\(result.err)")
  }

  @Test("9. a second run writing the same model is refused while the first holds it", .enabled(if: binary != nil))
  func concurrentWriters() throws {
    let (folder, log) = folderWithLog()
    let out = folder.path + "/m.crm"
    let held = try OutputLock(out, option: "--out")
    let second = try train(log, ["--model", "mf-bpr", "--epochs", "1", "--out", out])
    #expect(second.status == 1, "\(second.err)")
    #expect(second.err.contains("another run (process \(getpid())) is writing this file"), "\(second.err)")
    #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".ckpt"))
    held.release()
    #expect(try train(log, ["--model", "mf-bpr", "--epochs", "1", "--out", out]).status == 0)
  }

  @Test("10. clear messages: half a given split, special files, escaped ids", .enabled(if: binary != nil))
  func messages() throws {
    let folder = DataTestFolder()
    let split = folder.path + "/split"
    try FileManager.default.createDirectory(atPath: split, withIntermediateDirectories: true)
    folder.write("split/train.txt", "a x y\n")
    let half = try run(["train", "--model", "mostpop", "--data", split, "--out", folder.path + "/m.crm"])
    #expect(half.status == 1 && half.err.contains("has train.txt but no test.txt"), "\(half.err)")

    let fifo = folder.path + "/pipe"
    #expect(mkfifo(fifo, 0o600) == 0)
    let fromFIFO = try run([
      "train", "--model", "mostpop", "--data", fifo, "--split", "loo", "--out", folder.path + "/m.crm",
    ])
    #expect(
      fromFIFO.status == 1 && fromFIFO.err.contains("is a FIFO (named pipe), not a regular file"), "\(fromFIFO.err)")
    let bench = try run(["bench", "seq-epoch", "--model", "sasrec", "--data", fifo, "--max-length", "1099511627776"])
    #expect(bench.status == 64 && bench.err.contains("--max-length must be between 1 and 100000"), "\(bench.err)")
    let modelFromFIFO = try run(["recommend", fifo, "--user", "a"])
    #expect(modelFromFIFO.status == 1 && modelFromFIFO.err.contains("is a FIFO (named pipe)"), "\(modelFromFIFO.err)")

    let log = folder.write(
      "esc.csv",
      "user,item,time\nu\u{1B}[31m,i\tx,1\nu\u{1B}[31m,j,2\nu\u{1B}[31m,k,3\nv,j,1\nv,k,2\nv,i\tx,3\nw,k,1\nw,j,2\nw,l,3\n"
    )
    let model = folder.path + "/pop.crm"
    #expect(try run(["train", "--model", "mostpop", "--data", log, "--split", "loo", "--out", model]).status == 0)
    let recommended = try run(["recommend", model, "--user", "w", "-k", "3"])
    #expect(recommended.status == 0, "\(recommended.err)")
    #expect(recommended.out.contains("i\\tx") && !recommended.out.contains("\u{1B}"))
    #expect(recommended.out.split(separator: "\n").allSatisfy { $0.split(separator: "\t").count == 3 })
  }

  @Test(
    "a run killed with SIGKILL and resumed ends bit-identical to an uninterrupted run", .enabled(if: binary != nil),
    arguments: [
      ["--model", "lightgcn", "--epochs", "30", "--dim", "16"],
      ["--model", "sasrec", "--epochs", "30", "--dim", "32", "--dropout", "0.3", "--loss", "bce"],
    ])
  func killAndResume(model: [String]) throws {
    let folder = DataTestFolder()
    var lines = ""
    for u in 0..<300 {
      lines += "u\(u) " + (0..<12).map { "i\((u * 13 + $0 * $0 * 7) % 200)" }.joined(separator: " ") + "\n"
    }
    let data = folder.write("log.txt", lines)
    let common = ["train", "--data", data, "--split", "loo"] + model
    let reference = folder.path + "/reference.crm"
    #expect(try run(common + ["--out", reference]).status == 0)

    let killed = folder.path + "/killed.crm"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.binary!)
    process.arguments = common + ["--out", killed, "--checkpoint-interval", "0"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Kill it as soon as its first checkpoint is in place: 29 epochs remain.
    let checkpoint = killed + ".ckpt"
    let deadline = Date().addingTimeInterval(120)
    while !FileManager.default.fileExists(atPath: checkpoint) && process.isRunning && Date() < deadline {
      usleep(2_000)
    }
    #expect(process.isRunning, "the run ended before its first checkpoint could be killed")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    let epoch = try #require(try ModelFile.read(from: checkpoint).metadata["epoch"]?.intValue)
    #expect(epoch < 30 && !FileManager.default.fileExists(atPath: killed))

    let resumed = try run(common + ["--out", killed, "--resume"])
    #expect(resumed.status == 0, "\(resumed.err)")
    #expect(!FileManager.default.fileExists(atPath: checkpoint))
    let a = try ModelFile.read(from: reference)
    let b = try ModelFile.read(from: killed)
    #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
    #expect(zip(a.tensors, b.tensors).allSatisfy { $0.bytes == $1.bytes }, "the resumed model differs")
    // Nothing but the data and the two models is left: no temporary, lock or checkpoint file.
    // (A temporary file the kill left in a checkpoint write was swept by the resumed run.)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == [
        "killed.crm", "log.txt", "reference.crm",
      ])
  }
}
