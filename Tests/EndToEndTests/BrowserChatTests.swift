import Foundation
import Testing
import TestSupport

/// Two people chatting through the SPA in two independent headless browsers, against the real
/// gateway: live delivery, markup shown as text, deep links, history paging, the phone layout.
@Suite("Browser: chatting (headless Chromium)", .serialized, .timeLimit(.minutes(6)))
struct BrowserChatTests {
    @Test("two users in two browsers chat in real time over /ws")
    func realTimeChat() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            try await harness.withBrowser("chat-alice") { aliceBrowser in
                try await harness.withBrowser("chat-bob") { bobBrowser in
                    try await harness.signIn(aliceBrowser, as: alice)
                    try await harness.signIn(bobBrowser, as: bob)
                    for browser in [aliceBrowser, bobBrowser] {
                        try await browser.waitForScript(
                            "the live connection",
                            "return document.getElementById('connection-status').dataset.state === 'live';")
                    }

                    // Alice finds Bob and starts the chat.
                    try await aliceBrowser.click("#new-chat-button")
                    try await aliceBrowser.type(bob.username, into: "#new-chat-search")
                    try await aliceBrowser.clickWhenReady("#new-chat-results li[data-username='\(bob.username)'] button")
                    try await aliceBrowser.waitForScript(
                        "the chat with bob open", "return document.getElementById('conversation-title').textContent === arguments[0];", [bob.username])
                    try await harness.send(aliceBrowser, "Hi Bob!")
                    try await harness.waitForMessage(aliceBrowser, "Hi Bob!")

                    // Bob's list picks the new chat up (unread) and he opens it.
                    let chatID = try await harness.waitForChat(bobBrowser, titled: alice.username)
                    try await bobBrowser.waitForScript(
                        "an unread badge", "return document.querySelector(`#chat-list li[data-chat-id='\(chatID)'] .unread-badge`)?.textContent ?? '';")
                    try await bobBrowser.clickWhenReady("#chat-list li[data-chat-id='\(chatID)'] button")
                    try await harness.waitForMessage(bobBrowser, "Hi Bob!")

                    // Typing reaches the other side, then the reply arrives without a reload.
                    let input = try await bobBrowser.find("#composer-input")
                    try await bobBrowser.sendKeys("Hello", to: input)
                    try await aliceBrowser.waitForScript(
                        "the typing indicator", "return document.getElementById('typing-indicator').textContent.includes('typing');")
                    try await bobBrowser.sendKeys(" Alice", to: input)
                    try await bobBrowser.sendKeys(WebDriverSession.Key.enter, to: input)
                    try await harness.waitForMessage(aliceBrowser, "Hello Alice")
                    try await harness.send(aliceBrowser, "How are you?")
                    try await harness.waitForMessage(bobBrowser, "How are you?")

                    // Both sides hold the same three messages, in order, once each.
                    let order = "return [...document.querySelectorAll('#message-list .message-text')].map((p) => p.textContent).join('|');"
                    #expect(try await aliceBrowser.execute(order) as? String == "Hi Bob!|Hello Alice|How are you?")
                    #expect(try await bobBrowser.execute(order) as? String == "Hi Bob!|Hello Alice|How are you?")
                    await aliceBrowser.saveScreenshot("chat-alice")
                    await bobBrowser.saveScreenshot("chat-bob")
                }
            }
        }
    }

    @Test("with the socket down the open chat is polled; the reconnect resumes every chat and loses no message")
    func losslessResume() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            let carol = try await harness.register("carol")
            let aliceChat = try await alice.directChat(with: bob)
            let carolChat = try await carol.directChat(with: bob)
            try await alice.send("before the drop", to: aliceChat)
            try await carol.send("hello from carol", to: carolChat)
            try await harness.withBrowser("resume") { browser in
                try await harness.signIn(browser, as: bob)
                let live = "return document.getElementById('connection-status').dataset.state === 'live';"
                try await browser.waitForScript("the live connection", live)
                // Bob reads Alice's chat (so its newest id is known), then moves to Carol's.
                try await browser.clickWhenReady("#chat-list li[data-chat-id='\(aliceChat)'] button")
                try await harness.waitForMessage(browser, "before the drop")
                try await browser.clickWhenReady("#chat-list li[data-chat-id='\(carolChat)'] button")
                try await harness.waitForMessage(browser, "hello from carol")

                // The socket goes away; Alice writes twice meanwhile; the socket comes back.
                try await browser.execute("window.messengerApp.live.stop();")
                try await browser.waitForScript("the socket closed", "return document.getElementById('connection-status').dataset.state === 'offline';")
                // Polling fallback (GET /web-api/messages?after_id=): the open chat still updates.
                try await carol.send("while offline", to: carolChat)
                try await harness.waitForMessage(browser, "while offline")
                try await alice.send("missed one", to: aliceChat)
                try await alice.send("missed two", to: aliceChat)
                try await browser.execute("window.messengerApp.live.start();")
                try await browser.waitForScript("the live connection again", live)

                // Only the resumed subscription can bring these: Alice's chat is not open (not
                // polled), and polling would count at most one.
                let badge = try await browser.waitForScript(
                    "two unread in Alice's chat",
                    "const b = document.querySelector(`#chat-list li[data-chat-id='\(aliceChat)'] .unread-badge`); return b && b.textContent === '2' ? b.textContent : '';")
                #expect(badge == "2")
                let metrics = try await HTTPTestClient.request(harness.baseURL + "/metrics")
                let replayed = metrics.text.split(separator: "\n").first { $0.hasPrefix("messenger_ws_replayed_messages_total") }
                #expect(replayed.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 2 } == true)

                try await browser.clickWhenReady("#chat-list li[data-chat-id='\(aliceChat)'] button")
                try await harness.waitForMessage(browser, "missed two")
                let texts = try await browser.execute(
                    "return [...document.querySelectorAll('#message-list .message-text')].map((p) => p.textContent).join('|');") as? String
                #expect(texts == "before the drop|missed one|missed two")
                await browser.saveScreenshot("resume")
            }
        }
    }

    @Test("a group made in the SPA (JWT API) carries text both ways with sender names, a picture and a voice message")
    func groupChat() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            try await harness.withBrowser("group-alice") { aliceBrowser in
                try await harness.withBrowser("group-bob") { bobBrowser in
                    try await harness.signIn(aliceBrowser, as: alice)
                    try await harness.signIn(bobBrowser, as: bob)
                    try await aliceBrowser.click("#new-group-button")
                    try await aliceBrowser.type("Team <b>", into: "#group-title")
                    try await aliceBrowser.type(bob.username, into: "#group-search")
                    try await aliceBrowser.clickWhenReady("#member-\(bob.id)")
                    try await aliceBrowser.click("#new-group-form button[type=submit]")
                    try await aliceBrowser.waitForScript(
                        "the new group open", "return document.getElementById('conversation-subtitle').textContent === 'Group · 2 members';")
                    #expect(try await aliceBrowser.text("#conversation-title") == "Team <b>")
                    try await harness.send(aliceBrowser, "hello team")
                    try await harness.waitForMessage(aliceBrowser, "hello team")

                    let groupID = try await harness.waitForChat(bobBrowser, titled: "Team <b>")
                    try await bobBrowser.clickWhenReady("#chat-list li[data-chat-id='\(groupID)'] button")
                    try await harness.waitForMessage(bobBrowser, "hello team")
                    let author = try await bobBrowser.execute(
                        "return document.querySelector('#message-list .message .message-author')?.textContent;") as? String
                    #expect(author == alice.username)
                    try await harness.send(bobBrowser, "hi alice")
                    try await harness.waitForMessage(aliceBrowser, "hi alice")

                    // Files in a group go through POST /files: a picture and a voice message,
                    // received live by Bob and loaded from their attachment URLs.
                    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("group-\(UUID().uuidString.prefix(8))")
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    defer { try? FileManager.default.removeItem(at: directory) }
                    let picture = directory.appendingPathComponent("dot.png")
                    try #require(Data(base64Encoded: Self.onePixelPNG)).write(to: picture)
                    let recording = directory.appendingPathComponent("note.wav")
                    try Self.halfSecondWAV.write(to: recording)
                    try await aliceBrowser.sendKeys(picture.path, to: try await aliceBrowser.find("#attach-file"))
                    let pictureShown = "const img = document.querySelector('#message-list .message[data-type=file] img.attachment-image'); return Boolean(img && img.complete && img.naturalWidth > 0);"
                    try await aliceBrowser.waitForScript("the picture at alice's", pictureShown)
                    try await bobBrowser.waitForScript(
                        "the picture at bob's",
                        "const img = document.querySelector('#message-list .message[data-type=file] img.attachment-image'); return Boolean(img && img.complete && img.naturalWidth > 0);")
                    try await aliceBrowser.sendKeys(recording.path, to: try await aliceBrowser.find("#voice-file"))
                    _ = try await bobBrowser.waitForElement("#message-list .message[data-type=voice] audio[src]")
                    try await bobBrowser.execute("const a = document.querySelector('.message[data-type=voice] audio'); a.preload = 'auto'; a.load();")
                    try await bobBrowser.waitForScript(
                        "the group voice message to load",
                        "const a = document.querySelector('.message[data-type=voice] audio'); return a.readyState >= 1 && Number.isFinite(a.duration);")
                    await aliceBrowser.saveScreenshot("group-alice")
                }
            }
        }
    }

    @Test("a voice message loads and plays in the conversation; an avatar uploaded in the profile shows")
    func voiceAndAvatar() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            let chatID = try await alice.directChat(with: bob)
            let (body, type) = LegacyUploadTests.multipart([
                ("file", "hello.wav", Self.halfSecondWAV), ("chat_id", nil, Data(String(chatID).utf8)), ("duration", nil, Data("7".utf8)),
            ])
            var headers = [("Content-Type", type)]
            if let cookie = alice.cookie { headers.append(("Cookie", cookie)) }
            let sent = try await HTTPTestClient.request(harness.baseURL + "/web-api/upload/voice", method: .POST, headers: headers, body: body)
            #expect(sent.status == 201)
            let path = try #require(try sent.object()["attachment_path"] as? String)

            let picture = FileManager.default.temporaryDirectory.appendingPathComponent("avatar-\(UUID().uuidString.prefix(8)).png")
            try #require(Data(base64Encoded: Self.onePixelPNG)).write(to: picture)
            defer { try? FileManager.default.removeItem(at: picture) }

            try await harness.withBrowser("media") { browser in
                try await harness.signIn(browser, as: bob)
                try await browser.clickWhenReady("#chat-list li[data-chat-id='\(chatID)'] button")
                _ = try await browser.waitForElement("#message-list .message[data-type=voice] audio")
                #expect(try await browser.text(".message[data-type=voice] .voice-duration") == "0:07")
                // The player really loads the recording (from the presigned URL of the JWT history,
                // or /uploads/<attachment_path> with the session when there is no token).
                try await browser.execute("const a = document.querySelector('.message[data-type=voice] audio'); a.preload = 'auto'; a.load();")
                let seconds = try await browser.waitForScript(
                    "the voice message's audio to load",
                    "const a = document.querySelector('.message[data-type=voice] audio'); return a.readyState >= 1 && Number.isFinite(a.duration) ? String(a.duration) : '';")
                #expect(Double(seconds).map { abs($0 - 0.5) < 0.05 } == true)
                #expect(!path.isEmpty)

                try await browser.click("#me-button")
                try await browser.waitForScript("the profile", "return document.getElementById('profile-username').textContent;")
                try await browser.sendKeys(picture.path, to: try await browser.find("#avatar-input"))
                try await browser.waitForScript(
                    "the new avatar loaded",
                    "const img = document.querySelector('#me-avatar img'); return Boolean(img && img.complete && img.naturalWidth > 0 && img.src.includes('/web-api/users/\(bob.id)/avatar'));")
                await browser.saveScreenshot("avatar")
            }
        }
    }

    /// Half a second of silence as 8 kHz 8-bit mono WAV, which every browser decodes.
    static let halfSecondWAV: Data = {
        let samples = 4000
        var data = Data("RIFF".utf8)
        func le32(_ value: Int) -> Data { withUnsafeBytes(of: UInt32(value).littleEndian) { Data($0) } }
        func le16(_ value: Int) -> Data { withUnsafeBytes(of: UInt16(value).littleEndian) { Data($0) } }
        data += le32(36 + samples) + Data("WAVEfmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(8000) + le32(8000) + le16(1) + le16(8)
        data += Data("data".utf8) + le32(samples) + Data(repeating: 128, count: samples)
        return data
    }()

    /// A valid 1×1 PNG, so the browser really decodes the uploaded avatar.
    static let onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

    @Test("a sticker picked in one browser appears in the other, live, with its image")
    func stickers() async throws {
        try await BrowserHarness.with(seedDemo: true) { harness in
            let alice = try await harness.login("alice", password: "testpass")
            let bob = try await harness.login("bob", password: "testpass")
            let chatID = try await alice.directChat(with: bob)
            try await harness.withBrowser("sticker-alice") { aliceBrowser in
                try await harness.withBrowser("sticker-bob") { bobBrowser in
                    for (browser, user) in [(aliceBrowser, alice), (bobBrowser, bob)] {
                        try await harness.signIn(browser, as: user)
                        try await browser.waitForScript("the live connection", "return document.getElementById('connection-status').dataset.state === 'live';")
                        try await browser.clickWhenReady("#chat-list li[data-chat-id='\(chatID)'] button")
                    }
                    let before = "return document.querySelectorAll('#message-list .message').length;"
                    try await aliceBrowser.waitForScript("the history", before)

                    try await bobBrowser.click("#sticker-button")
                    let choices = try await bobBrowser.findAll("#sticker-panel .sticker-choice")
                    #expect(choices.count == 8)
                    try await bobBrowser.click(try #require(choices.first))
                    let loaded = "const img = document.querySelector('#message-list .message[data-type=sticker] img.sticker'); return img && img.complete && img.naturalWidth > 0 ? img.alt : '';"
                    #expect(try await bobBrowser.waitForScript("bob's sticker", loaded) == "grin")
                    #expect(try await aliceBrowser.waitForScript("the sticker at alice's", loaded) == "grin")
                    await aliceBrowser.saveScreenshot("sticker-alice")
                }
            }
        }
    }

    @Test("a message containing markup is shown as text, never run")
    func markupIsText() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            let chatID = try await alice.directChat(with: bob)
            let hostile = "<img src=x onerror=window.__pwned=1><b>bold</b> &amp; <script>1</script>"
            try await alice.send(hostile, to: chatID)
            try await harness.withBrowser("markup") { browser in
                try await harness.signIn(browser, as: bob)
                let listed = try await harness.waitForChat(browser, titled: alice.username)
                #expect(listed == chatID)
                // The preview in the list is text too.
                let preview = try await browser.execute(
                    "return document.querySelector(`#chat-list li[data-chat-id='\(chatID)'] .chat-preview`).textContent;") as? String
                #expect(preview == hostile)
                try await browser.clickWhenReady("#chat-list li[data-chat-id='\(chatID)'] button")
                try await harness.waitForMessage(browser, hostile)
                let injected = try await browser.execute(
                    "return document.querySelectorAll('#message-list b, #message-list script, #message-list img:not(.avatar):not(.sticker)').length;")
                #expect((injected as? NSNumber)?.intValue == 0)
                #expect(try await browser.execute("return window.__pwned === undefined;") as? Bool == true)
                await browser.saveScreenshot("markup-as-text")
            }
        }
    }

    @Test("deep links /dm/@name (any case), /dm/<id> and /@name open the right chat or profile")
    func deepLinks() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            let carol = try await harness.register("carol")
            try await harness.withBrowser("deep-links") { browser in
                try await harness.signIn(browser, as: bob)

                try await browser.navigate(to: harness.baseURL + "/dm/@\(alice.username.uppercased())")
                try await browser.waitForScript(
                    "the chat with alice", "return document.getElementById('conversation-title').textContent === arguments[0];", [alice.username])
                let aliceChat = try await alice.directChat(with: bob)
                try await browser.waitForScript("the chat id in the address", "return location.pathname + location.hash === '/app#chat=\(aliceChat)';")
                await browser.saveScreenshot("deep-link-dm-name")

                try await browser.navigate(to: harness.baseURL + "/dm/\(carol.id)")
                try await browser.waitForScript(
                    "the chat with carol", "return document.getElementById('conversation-title').textContent === arguments[0];", [carol.username])
                #expect(try await browser.execute("return document.querySelector('#chat-list li[aria-current], #chat-list li.active')?.dataset.chatId;") as? String
                    == String(try await carol.directChat(with: bob)))

                try await browser.navigate(to: harness.baseURL + "/@\(carol.username)")
                try await browser.waitForScript(
                    "carol's profile card",
                    "return document.getElementById('user-dialog').open && document.getElementById('user-dialog-username').textContent === arguments[0];",
                    ["@\(carol.username)"])
                await browser.saveScreenshot("deep-link-profile")

                // Not signed in: /dm/... goes through the login page and comes back to the chat.
                try await harness.withBrowser("deep-link-login") { fresh in
                    try await fresh.navigate(to: harness.baseURL + "/dm/@\(alice.username)")
                    try await fresh.waitForScript("the login page", "return location.pathname === '/login';")
                    try await fresh.type(bob.username, into: "#username")
                    try await fresh.type(bob.password, into: "#password")
                    try await fresh.click("#auth-submit")
                    try await fresh.waitForScript(
                        "the chat with alice after login",
                        "return document.getElementById('conversation-title')?.textContent === arguments[0];", [alice.username])
                }
            }
        }
    }

    @Test("scrolling up loads older history page by page")
    func infiniteScroll() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            let chatID = try await alice.directChat(with: bob)
            for index in 1...120 {
                try await alice.send("message \(index)", to: chatID)
            }
            try await harness.withBrowser("history") { browser in
                try await harness.signIn(browser, as: bob, path: "/login?next=\(harness.baseURL)/dm/\(alice.id)")
                try await harness.waitForMessage(browser, "message 120")
                let count = "return document.querySelectorAll('#message-list .message').length;"
                let first = (try await browser.execute(count) as? NSNumber)?.intValue ?? 0
                #expect(first == 50)
                try await browser.waitForScript(
                    "all 120 messages after scrolling up",
                    """
                    const scroller = document.getElementById('message-scroller');
                    scroller.scrollTop = 0;
                    scroller.dispatchEvent(new Event('scroll'));
                    return document.querySelectorAll('#message-list .message').length === 120;
                    """, timeout: .seconds(60))
                let texts = try await browser.execute(
                    "return [...document.querySelectorAll('#message-list .message-text')].map((p) => p.textContent);") as? [String]
                #expect(texts == (1...120).map { "message \($0)" })
                await browser.saveScreenshot("history-top")
            }
        }
    }

    @Test("on a phone-sized screen the list and the chat take turns, and the keyboard reaches both")
    func phoneLayout() async throws {
        try await BrowserHarness.with { harness in
            let alice = try await harness.register("alice")
            let bob = try await harness.register("bob")
            let chatID = try await alice.directChat(with: bob)
            try await alice.send("small screen", to: chatID)
            try await harness.withBrowser("phone", width: 390, height: 844) { browser in
                try await harness.signIn(browser, as: bob)
                _ = try await harness.waitForChat(browser, titled: alice.username)
                let visible = "return getComputedStyle(document.getElementById(arguments[0])).display !== 'none';"
                #expect(try await browser.execute(visible, ["sidebar"]) as? Bool == true)
                #expect(try await browser.execute(visible, ["conversation"]) as? Bool == false)
                await browser.saveScreenshot("phone-list")

                // Keyboard only: focus the chat and press Enter.
                try await browser.execute("document.querySelector(`#chat-list li[data-chat-id='\(chatID)'] button`).focus();")
                try await browser.pressKeys(WebDriverSession.Key.enter)
                try await harness.waitForMessage(browser, "small screen")
                #expect(try await browser.execute(visible, ["sidebar"]) as? Bool == false)
                #expect(try await browser.execute(visible, ["conversation"]) as? Bool == true)
                await browser.saveScreenshot("phone-chat")

                try await browser.click("#back-button")
                try await browser.waitForScript("the list again", visible, ["sidebar"])
            }
        }
    }
}
