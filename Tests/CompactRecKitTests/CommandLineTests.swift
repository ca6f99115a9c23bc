import Foundation
import Testing

/// End-to-end checks of the `compactrec` tool's contract (flags, JSON fields, errors), running
/// the binary that `swift test` builds beside the tests.
@Suite("compactrec command line", .serialized)
struct CommandLineTests {
  private static let binary = CompactRecTool.path

  private func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    try CompactRecTool.run(arguments)
  }

  @Test("train, evaluate --json, recommend, inspect on a small given split", .enabled(if: binary != nil))
  func workflow() throws {
    let folder = DataTestFolder()
    var train = ""
    var test = ""
    for u in 0..<40 {
      let group = u % 4
      let items = (0..<10).map { "g\(group)i\(($0 + u) % 12)" }
      train += "user\(u) " + items.prefix(8).joined(separator: " ") + "\n"
      test += "user\(u) " + items.suffix(2).joined(separator: " ") + "\n"
    }
    folder.write("train.txt", train)
    folder.write("test.txt", test)
    let model = folder.path + "/mf.crm"
    let trained = try run([
      "train", "--model", "mf-bpr", "--data", folder.path, "--epochs", "3", "--dim", "8", "--out", model, "--json",
    ])
    #expect(trained.status == 0, "\(trained.err)")

    let evaluated = try run(["evaluate", model, "--data", folder.path, "--k", "5,10", "--json"])
    #expect(evaluated.status == 0, "\(evaluated.err)")
    let json = try #require(JSONSerialization.jsonObject(with: Data(evaluated.out.utf8)) as? [String: Any])
    let metrics = try #require(json["metrics"] as? [String: Double])
    for key in ["recall@5", "recall@10", "ndcg@10", "precision@10", "hr@5", "mrr@5"] {
      #expect(metrics[key] != nil, "missing \(key)")
    }

    let recommended = try run(["recommend", model, "--user", "user3", "-k", "4", "--json"])
    #expect(recommended.status == 0)
    let rec = try #require(JSONSerialization.jsonObject(with: Data(recommended.out.utf8)) as? [String: Any])
    let items = try #require(rec["items"] as? [[String: Any]])
    #expect(items.count == 4)
    let seen = Set(train.split(separator: "\n")[3].split(separator: " ").dropFirst().map(String.init))
    #expect(items.allSatisfy { !seen.contains($0["item"] as! String) })

    let inspected = try run(["inspect", model, "--json"])
    let info = try #require(JSONSerialization.jsonObject(with: Data(inspected.out.utf8)) as? [String: Any])
    #expect(info["kind"] as? String == "mf-bpr")
    #expect(info["parameters"] as? Int == (40 + 48) * 8)  // 40 users, 4 groups x 12 items

    // Quantization-aware LightGCN warm-started from a full-precision run's kept checkpoint: a
    // code-only model that evaluate and recommend read.
    let full = folder.path + "/lgcn.crm"
    let fullRun = try run([
      "train", "--model", "lightgcn", "--data", folder.path, "--epochs", "2", "--dim", "70", "--out", full,
      "--keep-checkpoint",
    ])
    #expect(fullRun.status == 0, "\(fullRun.err)")
    #expect(FileManager.default.fileExists(atPath: full + ".ckpt"))
    let codes = folder.path + "/hq.crm"
    let quantized = try run([
      "train", "--model", "lightgcn", "--bits", "2", "--estimator", "gste", "--hessian-every", "1", "--data",
      folder.path, "--epochs", "2", "--dim", "70", "--out", codes, "--warm-start", full + ".ckpt",
    ])
    #expect(quantized.status == 0, "\(quantized.err)")
    let hq = try run(["inspect", codes, "--json"])
    let hqInfo = try #require(JSONSerialization.jsonObject(with: Data(hq.out.utf8)) as? [String: Any])
    #expect(hqInfo["kind"] as? String == "hqgnn")
    // The text form says how the code was trained and which float model it was tuned from.
    let hqText = try run(["inspect", codes]).out
    #expect(hqText.contains("trained: 2 epochs on \(folder.path) in "), "\(hqText)")
    #expect(hqText.contains("; warm start \(full).ckpt\n"), "\(hqText)")
    #expect(try run(["evaluate", codes, "--data", folder.path, "--json"]).status == 0)
    #expect(try run(["recommend", codes, "--user", "user3", "-k", "4"]).status == 0)
    let bench = try run(["bench", "retrieval", "--model", codes, "--repeat", "1"])
    let benchInfo = try #require(JSONSerialization.jsonObject(with: Data(bench.out.utf8)) as? [String: Any])
    #expect(benchInfo["kind"] as? String == "hqgnn")
    #expect(benchInfo["bytes_per_item"] as? Int == 2 * 2 * 8 + 4)  // 2 bits x 2 words per plane + step
    #expect((benchInfo["seconds"] as? Double ?? -1) >= 0)
    // Frequency-aware widths from the same start: 4 bits for the 12 most frequent items (and
    // the same fraction of the users), 1 bit for the rest; inspect and bench count each block.
    let mixed = folder.path + "/mixed.crm"
    let mixedRun = try run([
      "train", "--model", "lightgcn", "--block-bits", "4,1", "--block-cutoffs", "12", "--data", folder.path,
      "--epochs", "2", "--dim", "70", "--out", mixed, "--warm-start", full + ".ckpt",
    ])
    #expect(mixedRun.status == 0, "\(mixedRun.err)")
    let mixedInfo = try #require(
      JSONSerialization.jsonObject(with: Data(try run(["inspect", mixed, "--json"]).out.utf8)) as? [String: Any])
    #expect(mixedInfo["kind"] as? String == "hqgnn-mixed")
    #expect((mixedInfo["hyper_parameters"] as? [String: Any])?["block_bits"] as? [Int] == [4, 1])
    let mixedBlocks = try #require(mixedInfo["frequency_blocks"] as? [[String: Any]])
    #expect(mixedBlocks.compactMap { $0["block"] as? Int } == [0, 1])
    let mixedTensors = try #require(mixedInfo["tensors"] as? [[String: Any]])
    let itemHead = mixedTensors.first { $0["name"] as? String == "item/block0/codes" }?["shape"] as? [Int]
    #expect(itemHead == [12, 35])  // 12 items x 4 bits x 70 dimensions / 8
    #expect(try run(["evaluate", mixed, "--data", folder.path, "--json"]).status == 0)
    #expect(try run(["recommend", mixed, "--user", "user3", "-k", "4"]).status == 0)
    let mixedBench = try run(["bench", "retrieval", "--model", mixed, "--repeat", "1"])
    #expect(mixedBench.out.contains("\"block_bits\""), "\(mixedBench.out)\(mixedBench.err)")
    let badCutoff = try run([
      "train", "--model", "lightgcn", "--block-bits", "4,1", "--block-cutoffs", "4000", "--data", folder.path,
      "--out", folder.path + "/q.crm",
    ])
    #expect(
      badCutoff.status == 64 && badCutoff.err.contains("block cutoffs [4000] must increase strictly"),
      "\(badCutoff.err)")
    // 1 bit from the same start, widened 70 -> 80 by the ITQ fit (the default at 1 bit).
    let widened = try run([
      "train", "--model", "lightgcn", "--bits", "1", "--data", folder.path, "--epochs", "1", "--dim", "80",
      "--out", folder.path + "/hq1.crm", "--warm-start", full + ".ckpt",
    ])
    #expect(widened.status == 0, "\(widened.err)")
    let hq1 = try run(["inspect", folder.path + "/hq1.crm", "--json"]).out
    #expect(hq1.contains("\"warm_start_rotation\" : \"itq\""), "\(hq1)")
    let badRotation = try run([
      "train", "--model", "lightgcn", "--bits", "1", "--data", folder.path, "--out", folder.path + "/q.crm",
      "--warm-start", full + ".ckpt", "--warm-start-rotation", "pca",
    ])
    #expect(badRotation.status != 0)
    #expect(badRotation.err.contains("warm-start-rotation"), "\(badRotation.err)")
    let badStart = try run([
      "train", "--model", "lightgcn", "--bits", "1", "--data", folder.path, "--out", folder.path + "/q.crm",
      "--warm-start", model,
    ])
    #expect(badStart.status != 0)
    #expect(badStart.err.contains("is not a LightGCN checkpoint"), "\(badStart.err)")
  }

  @Test(
    "sequential models: train with a leave-one-out split, evaluate, recommend from a user or a history, inspect, bench",
    .enabled(if: binary != nil), arguments: ["nextitnet", "gru4rec", "sasrec"])
  func sequential(kind: String) throws {
    let folder = DataTestFolder()
    // Item i is followed by (i + 3) mod 20.
    var lines = ""
    for u in 0..<60 {
      var item = u % 20
      var s: [String] = []
      for _ in 0..<(6 + u % 5) {
        s.append("i\(item)")
        item = (item + 3) % 20
      }
      lines += "u\(u) " + s.joined(separator: " ") + "\n"
    }
    folder.write("sequences.txt", lines)
    let data = folder.path + "/sequences.txt"
    let model = folder.path + "/\(kind).crm"
    let trained = try run(
      [
        "train", "--model", kind, "--data", data, "--split", "loo", "--epochs", "3", "--dim", "8", "--max-length", "6",
        "--eval-every", "1", "--out", model, "--json",
      ] + ["nextitnet": ["--dilations", "1,2"], "sasrec": ["--heads", "2"]][kind, default: []])
    #expect(trained.status == 0, "\(trained.err)")
    let evaluated = try run([
      "evaluate", model, "--data", data, "--split", "loo", "--k", "5,10", "--sampled", "9", "--json",
    ])
    #expect(evaluated.status == 0, "\(evaluated.err)")
    let json = try #require(JSONSerialization.jsonObject(with: Data(evaluated.out.utf8)) as? [String: Any])
    let metrics = try #require(json["metrics"] as? [String: Double])
    for key in ["hr@5", "hr@10", "ndcg@10", "mrr@10"] { #expect(metrics[key] != nil, "missing \(key)") }
    #expect(json["sampled"] != nil)
    let fromUser = try run(["recommend", model, "--user", "u3", "-k", "3", "--json"])
    #expect(fromUser.status == 0, "\(fromUser.err)")
    let fromHistory = try run(["recommend", model, "--history", "i1,i4,i7", "-k", "3", "--json"])
    #expect(fromHistory.status == 0, "\(fromHistory.err)")
    let rec = try #require(JSONSerialization.jsonObject(with: Data(fromHistory.out.utf8)) as? [String: Any])
    let items = try #require(rec["items"] as? [[String: Any]])
    #expect(items.count == 3 && items.allSatisfy { !["i1", "i4", "i7"].contains($0["item"] as! String) })
    let inspected = try run(["inspect", model, "--json"])
    let info = try #require(JSONSerialization.jsonObject(with: Data(inspected.out.utf8)) as? [String: Any])
    #expect(info["kind"] as? String == "sequential")
    let components = try #require(info["components"] as? [[String: Any]]).compactMap { $0["name"] as? String }
    #expect(components.starts(with: ["input", "middle", "output"]))
    let bench = try run(["bench", "seq-epoch", "--model", kind, "--data", data, "--dim", "8", "--max-length", "6"])
    #expect(bench.status == 0, "\(bench.err)")
    let benchInfo = try #require(JSONSerialization.jsonObject(with: Data(bench.out.utf8)) as? [String: Any])
    #expect((benchInfo["seconds_per_epoch"] as? Double ?? -1) > 0)
    #expect(benchInfo["model"] as? String == kind)
    let bad = try run([
      "train", "--model", kind, "--data", data, "--split", "loo", "--max-length", "0", "--out", folder.path + "/x.crm",
    ])
    #expect(bad.status == 64 && bad.err.contains("--max-length must be between 1 and 100000 (got 0)"), "\(bad.err)")
  }

  @Test(
    "CpRec: block-wise layers and sharing on string-id sessions (80/20 split), inspect, evaluate, recommend, bench; bad settings refused",
    .enabled(if: binary != nil))
  func cprec() throws {
    let folder = DataTestFolder()
    // Sessions of five string ids; item k is followed by item (k + 1) mod 30, and the low ids are
    // the frequent ones.
    var lines = ""
    for s in 0..<120 {
      let first = (s * s) % (s % 3 == 0 ? 30 : 8)
      lines += (0..<5).map { "id-\(((first + $0) % 30) * 7919)" }.joined(separator: ",") + "\n"
    }
    let data = folder.write("sessions.csv", lines)
    let model = folder.path + "/cprec.crm"
    let trained = try run([
      "train", "--model", "nextitnet", "--data", data, "--format", "sessions", "--split", "sequence:0.2", "--epochs",
      "2", "--dim", "16", "--dilations", "1,2,1,2", "--blockwise", "both", "--block-cutoffs", "5,12", "--sharing",
      "cross-block", "--out", model, "--json",
    ])
    #expect(trained.status == 0, "\(trained.err)")
    let inspected = try run(["inspect", model, "--json"])
    let info = try #require(JSONSerialization.jsonObject(with: Data(inspected.out.utf8)) as? [String: Any])
    let hyper = try #require(info["hyper_parameters"] as? [String: Any])
    #expect(hyper["blockwise"] as? String == "both" && hyper["sharing"] as? String == "cross-block")
    #expect((hyper["block_ends"] as? [Int])?.prefix(2) == [5, 12])
    // train and inspect count the same parameters (the item order is state, not a parameter).
    let trainInfo = try #require(JSONSerialization.jsonObject(with: Data(trained.out.utf8)) as? [String: Any])
    #expect(trainInfo["parameters"] as? Int == info["parameters"] as? Int)
    let components = try #require(info["components"] as? [[String: Any]])
    #expect(components.first { $0["name"] as? String == "blocks" }?["parameters"] as? Int == 0)
    let evaluated = try run([
      "evaluate", model, "--data", data, "--format", "sessions", "--split", "sequence:0.2", "--json",
    ])
    #expect(evaluated.status == 0, "\(evaluated.err)")
    let recommended = try run(["recommend", model, "--history", "id-0,id-7919", "-k", "5", "--json"])
    #expect(recommended.status == 0, "\(recommended.err)")
    let bench = try run(["bench", "retrieval", "--model", model, "-k", "5", "--repeat", "1"])
    let benchInfo = try #require(JSONSerialization.jsonObject(with: Data(bench.out.utf8)) as? [String: Any])
    #expect((benchInfo["encoder_seconds"] as? Double ?? -1) >= 0 && benchInfo["output_seconds"] != nil)
    let epoch = try run([
      "bench", "seq-epoch", "--model", "sasrec", "--data", data, "--dim", "8", "--blockwise", "output", "--sharing",
      "cross-layer",
    ])
    #expect(epoch.status == 0, "\(epoch.err)")
    let badCut = try run([
      "train", "--model", "gru4rec", "--data", data, "--format", "sessions", "--split", "loo", "--blockwise", "input",
      "--block-cutoffs",
      "12,5", "--out", folder.path + "/x.crm",
    ])
    #expect(badCut.status != 0 && badCut.err.contains("must increase strictly"), "\(badCut.err)")
    let badShare = try run([
      "train", "--model", "gru4rec", "--data", data, "--format", "sessions", "--split", "loo", "--sharing",
      "cross-layer", "--out",
      folder.path + "/x.crm",
    ])
    #expect(
      badShare.status == 64 && badShare.err.contains("--sharing does not apply to --model gru4rec"), "\(badShare.err)")
    let badTie = try run([
      "train", "--model", "sasrec", "--data", data, "--format", "sessions", "--split", "loo", "--tie-output",
      "--blockwise", "both",
      "--out", folder.path + "/x.crm",
    ])
    #expect(badTie.status != 0 && badTie.err.contains("tied output"), "\(badTie.err)")

    // Quantized CpRec: per-block widths, warm-started from the float model above; the file
    // stores codes, which inspect counts as weights, and the model serves like any other.
    let codes = folder.path + "/cprec-codes.crm"
    let quantized = try run([
      "train", "--model", "nextitnet", "--data", data, "--format", "sessions", "--split", "sequence:0.2", "--epochs",
      "2", "--dim", "16", "--dilations", "1,2,1,2", "--blockwise", "both", "--block-cutoffs", "5,12", "--sharing",
      "cross-block", "--block-bits", "4,2,1", "--warm-start", model, "--out", codes, "--json",
    ])
    #expect(quantized.status == 0, "\(quantized.err)")
    let codeInfo = try #require(
      JSONSerialization.jsonObject(with: Data(try run(["inspect", codes, "--json"]).out.utf8)) as? [String: Any])
    let tensors = try #require(codeInfo["tensors"] as? [[String: Any]]).compactMap { $0["name"] as? String }
    #expect(tensors.contains("input/item_embedding.block2/codes") && !tensors.contains("input/item_embedding.block2"))
    #expect((codeInfo["hyper_parameters"] as? [String: Any])?["block_bits"] as? [Int] == [4, 2, 1])
    #expect((codeInfo["model_bytes"] as? Int ?? .max) < info["model_bytes"] as? Int ?? 0)
    // Bytes per frequency block: the tail block, at 1 bit, is the smallest per item.
    let perBlock = try #require(codeInfo["frequency_blocks"] as? [[String: Any]])
    #expect(perBlock.compactMap { $0["block"] as? Int } == [0, 1, 2])
    #expect(perBlock.compactMap { $0["bytes"] as? Int }.reduce(0, +) < codeInfo["model_bytes"] as? Int ?? 0)
    #expect(try run(["recommend", codes, "--history", "id-0,id-7919", "-k", "5"]).status == 0)
    let badWidths = try run([
      "train", "--model", "nextitnet", "--data", data, "--format", "sessions", "--split", "sequence:0.2",
      "--blockwise", "both", "--block-cutoffs", "5,12", "--block-bits", "4,2", "--out", folder.path + "/x.crm",
    ])
    #expect(badWidths.status == 64 && badWidths.err.contains("one bit width per frequency block"), "\(badWidths.err)")
    let hessian = try run([
      "train", "--model", "gru4rec", "--data", data, "--format", "sessions", "--split", "loo", "--bits", "2",
      "--estimator", "gste", "--out", folder.path + "/x.crm",
    ])
    #expect(hessian.status == 64 && hessian.err.contains("fixed delta"), "\(hessian.err)")
  }

  @Test("bad input gives a clear error and a non-zero exit", .enabled(if: binary != nil))
  func errors() throws {
    let folder = DataTestFolder()
    folder.write("train.txt", "a x y\nb y z\n")
    folder.write("test.txt", "a z\nb q\n")
    let unknownItem = try run(["train", "--model", "mostpop", "--data", folder.path, "--out", folder.path + "/m.crm"])
    #expect(unknownItem.status != 0)
    #expect(unknownItem.err.contains("test.txt:2:2"), "\(unknownItem.err)")

    let badK = try run(["evaluate", folder.path + "/none.crm", "--data", folder.path, "--k", "5,x"])
    #expect(badK.status != 0)
    #expect(badK.err.contains("--k"))

    let badBits = try run([
      "train", "--model", "lightgcn", "--bits", "5", "--data", folder.path, "--out", folder.path + "/q.crm",
    ])
    #expect(badBits.status != 0)
    #expect(badBits.err.contains("--bits must be one of 1, 2, 3, 4, 8"), "\(badBits.err)")

    let corrupt = folder.write("broken.crm", "not a model\n")
    let refused = try run(["inspect", corrupt])
    #expect(refused.status != 0)
    #expect(refused.err.contains("broken.crm"))
  }
}
