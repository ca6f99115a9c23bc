import Foundation
import Testing

@testable import CompactRecKit

/// `compactrec recommend` for many users and under allow- and deny-lists, run as a user would.
@Suite("compactrec recommend", .serialized)
struct RecommendCommandTests {
  private static let binary = CompactRecTool.path

  /// A folder with `log.csv` (40 users, 8 interactions each over 30 items) and an MF model
  /// trained on it.
  private func trained() throws -> (folder: DataTestFolder, model: String) {
    let folder = DataTestFolder()
    var text = "user,item\n"
    for u in 0..<40 { for t in 0..<8 { text += "u\(u),i\((u * 7 + t * 3) % 30)\n" } }
    let log = folder.write("log.csv", text)
    let model = folder.path + "/m.crm"
    let run = try CompactRecTool.run(
      ["train", "--data", log, "--split", "loo", "--model", "mf-bpr", "--epochs", "2", "--out", model])
    #expect(run.status == 0, "\(run.err)")
    return (folder, model)
  }

  /// The items of each JSON line, by user.
  private func lines(_ text: String) throws -> [String: [String]] {
    var out: [String: [String]] = [:]
    for line in text.split(separator: "\n") {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let items = try #require(object["items"] as? [[String: Any]])
      out[try #require(object["user"] as? String)] = items.compactMap { $0["item"] as? String }
    }
    return out
  }

  @Test("--users all writes one JSON line per user, the same lists --user gives", .enabled(if: binary != nil))
  func manyUsers() throws {
    let (folder, model) = try trained()
    let out = folder.path + "/recs.jsonl"
    let run = try CompactRecTool.run(["recommend", model, "--users", "all", "-k", "5", "--out", out])
    #expect(run.status == 0 && run.out.isEmpty && run.err.isEmpty, "\(run.err)")
    let all = try lines(String(decoding: FileManager.default.contents(atPath: out) ?? Data(), as: UTF8.self))
    #expect(all.count == 40 && all.values.allSatisfy { $0.count == 5 })
    for user in ["u0", "u17", "u39"] {
      let one = try CompactRecTool.run(["recommend", model, "--user", user, "-k", "5"])
      #expect(one.out.split(separator: "\n").map { String($0.split(separator: "\t")[1]) } == all[user])
    }
    // A list and a file of ids give the same lines; a second run replaces its own output.
    let ids = folder.write("users.txt", "u3\r\nu5\r\n\r\nu7\r\n")  // Windows line ends too
    let fromFile = try CompactRecTool.run(["recommend", model, "--users", "@" + ids, "-k", "5"])
    let inline = try CompactRecTool.run(["recommend", model, "--users", "u3,u5,u7", "-k", "5"])
    let listed = try lines(fromFile.out)
    #expect(fromFile.status == 0 && fromFile.out == inline.out && listed["u5"] == all["u5"])
    let again = try CompactRecTool.run(["recommend", model, "--users", "u3", "--out", out])
    let replaced = try lines(String(contentsOfFile: out, encoding: .utf8))
    #expect(again.status == 0 && replaced.count == 1, "\(again.err)")
  }

  @Test(
    "--allow ranks only those items, --deny never returns its items, k above the allowed count gives them all",
    .enabled(if: binary != nil))
  func filters() throws {
    let (folder, model) = try trained()
    defer { withExtendedLifetime(folder) {} }
    let full = try CompactRecTool.run(["recommend", model, "--user", "u1", "-k", "30"])
    let ranked = full.out.split(separator: "\n").map { String($0.split(separator: "\t")[1]) }
    #expect(ranked.count > 10, "\(full.status) \(full.err)")
    let denied = try CompactRecTool.run([
      "recommend", model, "--user", "u1", "-k", "5", "--deny", ranked[0] + "," + ranked[2],
    ])
    #expect(
      denied.out.split(separator: "\n").map { String($0.split(separator: "\t")[1]) }
        == [ranked[1]] + ranked[3..<7])
    let allowed = [ranked[9], ranked[4], ranked[7]]
    let only = try CompactRecTool.run(
      ["recommend", model, "--user", "u1", "-k", "10", "--allow", allowed.joined(separator: ","), "--deny", ranked[7]])
    #expect(only.out.split(separator: "\n").map { String($0.split(separator: "\t")[1]) } == [ranked[4], ranked[9]])
  }

  @Test(
    "train --history none writes a smaller file; requests then bring their own exclusions and sequences",
    .enabled(if: binary != nil))
  func withoutHistories() throws {
    let (folder, kept) = try trained()
    let log = folder.path + "/log.csv"
    let bare = folder.path + "/bare.crm"
    let train = { (model: String, out: String) in
      try CompactRecTool.run(
        [
          "train", "--data", log, "--split", "loo", "--model", model, "--epochs", "1", "--history", "none", "--out",
          out,
        ])
    }
    #expect(try train("mf-bpr", bare).status == 0)
    let size = { (path: String) in (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
    #expect(size(bare) < size(kept))
    let mf = try CompactRecTool.run(["recommend", bare, "--user", "u1", "-k", "3"])
    #expect(mf.status == 0 && mf.out.split(separator: "\n").count == 3, "\(mf.err)")
    #expect(mf.err.contains("saved with --history none: seen items are not excluded (pass them with --deny)"))
    let sequence = folder.path + "/gru.crm"
    #expect(try train("gru4rec", sequence).status == 0)
    let refused = try CompactRecTool.run(["recommend", sequence, "--user", "u1"])
    #expect(refused.status == 64 && refused.err.contains("its users have no sequences; give the items with --history"))
    let given = try CompactRecTool.run(["recommend", sequence, "--history", "i1,i4", "-k", "2"])
    #expect(given.status == 0 && given.out.split(separator: "\n").count == 2, "\(given.err)")
    let export = try CompactRecTool.run(["export", sequence, "--format", "numpy", "--out", folder.path + "/x"])
    #expect(export.status != 0 && export.err.contains("saved with --history none"), "\(export.err)")
  }

  @Test("bad lists and outputs are refused with clear messages; no file is lost", .enabled(if: binary != nil))
  func refusals() throws {
    let (folder, model) = try trained()
    let notes = folder.write("notes.txt", "my notes\n")
    let cases: [([String], Int32, String)] = [
      (["--users", "u1,nobody"], 64, "--users: 1 of 2 ids are not users of the model's training data, first 'nobody'"),
      (["--user", "u1", "--allow", "i1,zzz"], 64, "--allow: 1 of 2 ids are not items of the model, first 'zzz'"),
      (["--user", "u1", "--deny", "@" + folder.path + "/missing.txt"], 64, "--deny: no file"),
      (["--user", "u1", "--allow", ","], 64, "--allow: no item ids given"),
      (["--users", "all", "--out", notes], 1, "is not a file of recommendations written by compactrec recommend"),
      (["--users", "all", "--out", model], 1, "is an input of this command"),
      (["--user", "u1", "--out", folder.path + "/x.jsonl"], 64, "--out goes with --users"),
      (["--user", "u1", "--users", "all"], 64, "give exactly one of --user, --history or --users"),
    ]
    for (arguments, status, message) in cases {
      let run = try CompactRecTool.run(["recommend", model] + arguments)
      #expect(run.status == status && run.err.contains(message), "\(arguments): \(run.err)")
    }
    #expect(try String(contentsOfFile: notes, encoding: .utf8) == "my notes\n")
  }
}
