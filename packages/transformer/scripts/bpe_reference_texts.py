"""Texts of bpe_reference.py: the built-in training corpus (a few KB of mixed text written
for these fixtures), the fixed test texts whose encodings src/bpe/ must reproduce, and
byte sequences (several of them invalid UTF-8) whose decoding it must reproduce."""

CORPUS = """\
The tokenizer reads text as bytes. It doesn't care which language the text is in: every
character becomes one to four bytes, and the most frequent pairs of symbols are merged
into new symbols, again and again, until the vocabulary is as large as we asked for.
We've trained it on this small text, so it'll learn the common English words first --
"the", "and", "ing", "tion" -- and then pieces of the other languages below.
I'm sure you'd like numbers too: 1, 2, 3, 10, 42, 100, 256, 1024, 2024, 3.14159, 2.71828,
50,000 tokens, 12:30 o'clock, 99% of the time, $19.99, 7 x 8 = 56, (a + b) * c == d.
Punctuation runs like "!!!", "???", "...", "---", ":-)" and "<<>>" appear in real text.
She said: "Don't stop!" -- He replied: 'We're nearly there, aren't we?'
	Tabs and    several spaces   are kept; so are blank lines.

Der Tokenizer liest Text als Bytes. Große Äpfel, grüne Birnen und süße Öle: über
die Brücke fährt der Bäcker früh am Morgen. Die Größe der Straße ist schön.
Le tokeniseur lit le texte comme des octets. L'élève a déjà mangé ; où est le garçon ?
Noël, Hélène et François préfèrent le café crème à la fenêtre de l'hôtel.
Ο αναλυτής διαβάζει το κείμενο ως byte. Καλημέρα, κόσμε! Η γλώσσα είναι ελληνική.
Токенизатор читает текст как байты. Привет, мир! Москва — столица России, 2024 год.
分词器把文本当作字节来读。你好，世界！今天天气很好，我们去公园散步吧。
トークナイザーはテキストをバイトとして読みます。こんにちは、世界！東京は大きい都市です。
المحلل يقرأ النص كبايتات. مرحبا بالعالم! اللغة العربية جميلة جدا.
टोकनाइज़र पाठ को बाइट्स के रूप में पढ़ता है। नमस्ते दुनिया! हिंदी एक सुंदर भाषा है।
Emoji are bytes too: 😀 😃 😄 👍 👍🏽 👋🏻 ❤️ 🇩🇪 🇫🇷 👨‍👩‍👧‍👦 🧑🏾‍💻 🏳️‍🌈 ✨🎉
The end of one document is marked, and the next one starts.
The quick brown fox jumps over the lazy dog. The five boxing wizards jump quickly.
A tokenizer that is trained on bytes never meets an unknown character: the worst case is
one token per byte. The best case is one token per word, for the words it saw most often.
What's the point of a vocabulary? It's the set of tokens the model can read and write.
They'll see that it's fast, and we'd say it's simple; you're welcome to read the code.
Ein Wort, das oft vorkommt, wird zu einem Token; ein seltenes Wort bleibt in Stücken.
Die Zahlen 1, 2 und 3 sind kurz, aber 1234567 wird in mehrere Teile zerlegt.
Un mot fréquent devient un seul jeton ; un mot rare reste en morceaux. C'est très simple.
Les élèves français étudient l'histoire, la géographie et les mathématiques à l'école.
Ένα συχνό λεξικό στοιχείο γίνεται ένα σύμβολο. Ο κόσμος είναι μεγάλος και όμορφος.
Частое слово становится одним токеном, редкое слово остаётся кусками. Мир большой.
Мы читаем книги, пишем письма и говорим с друзьями каждый день. Привет, друзья!
常见的词会变成一个符号，少见的词会被分成几块。我们每天读书、写字、和朋友说话。
よく使う言葉は一つのトークンになり、まれな言葉はいくつかに分かれます。東京の天気はいいです。
الكلمة الشائعة تصبح رمزا واحدا، والكلمة النادرة تبقى قطعا. نحن نقرأ الكتب كل يوم.
आम शब्द एक टोकन बन जाता है, दुर्लभ शब्द टुकड़ों में रहता है। हम हर दिन किताबें पढ़ते हैं।
More emoji: 😀😀 👍👍 🎉🎉 ❤️❤️ 👨‍👩‍👧‍👦👨‍👩‍👧‍👦 🏳️‍🌈🏳️‍🌈 and skin tones 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿.
Lists: first, second, third; one - two - three; [1] [2] [3]; {"key": "value", "n": 10}.
def tokenize(text): return [token for token in text.split(" ") if token]  # code is text
"""

MULTILINGUAL = (
    "Hello, world! It's a test: we're sure they've said I'm fine, you'll see, he'd agree.\n"
    "DON'T SHOUT -- the 'S in IT'S stays apart; numbers 0, 7, 42, 1234567, 3.14 and 2024-06-01.\n"
    "Runs: !!! ??? ... --- ;-) <<>> ((()))  double  spaces,   triple,\ttab,\t\ttabs.\n\n"
    "Blank lines above; trailing spaces here   \n"
    "Deutsch: Größe, Äpfel, über, Straße. Français : élève, déjà, où, garçon, Noël.\n"
    "Ελληνικά: Καλημέρα κόσμε. Русский: Привет, мир! 中文：你好，世界。\n"
    "日本語：こんにちは、世界！ العربية: مرحبا بالعالم. हिन्दी: नमस्ते दुनिया।\n"
    "Emoji: 😀 👍🏽 👋🏻 ❤️ 🇩🇪 👨‍👩‍👧‍👦 🧑🏾‍💻 🏳️‍🌈 — no\u00a0break, ideographic\u3000space.\n"
    "<|endoftext|>The next document starts here.<|endoftext|>"
)

TEST_TEXTS = [
    ('multilingual', MULTILINGUAL),
    ('empty', ''),
    ('one space', ' '),
    ('spaces only', '   '),
    ('leading spaces', '   leading and trailing   '),
    ('newlines and tabs', '\n\n\ta\n \n\t\t b \t\n'),
    ('contractions', "I'm you're we've they'll she'd it's can't 's't"),
    ('special tokens alone', '<|endoftext|><|endoftext|>'),
    ('partial special token', '<|endoftext|<|endoftext'),
    ('unseen words', 'Zyxwvut qqqq xylophone ß ÿ Ω Ж 龍 ✓'),
]

DECODE_BYTES = [
    b'\xff',  # never valid in UTF-8
    b'a\x80b',  # a lone continuation byte
    b'\xe4\xb8',  # a 3-byte character cut short
    b'\xf0\x9f\x98',  # an emoji cut short
    b'\xf0\x9f\x98\x80',  # the whole emoji
    b'\xc0\xaf',  # an overlong '/'
    b'\xed\xa0\x80',  # a UTF-16 surrogate
    b'\xf4\x90\x80\x80',  # past U+10FFFF
    b'\xef\xbb\xbfBOM',  # a byte-order mark is kept
    b'\xe2\x82',  # a 3-byte sequence cut short, at the end
]
