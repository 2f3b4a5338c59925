"""Regenerate casetrack/data/common_passwords.txt (run by hand; no downloads).

The list is built from the most frequent passwords of the well-known public breach
corpora (the "top 100" of RockYou, the NCSC top-100k head, SplashData's yearly lists),
Swedish favourites, and the patterns people use to stretch them to a required length
(word + year, word + 123, repeated words, keyboard walks). Only entries that could pass
the length rule matter, but short ones are kept so the list also documents the idea.
"""

from __future__ import annotations

from pathlib import Path

TOP = """123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123
baseball abc123 football monkey letmein 696969 shadow master 666666 qwertyuiop 123321
mustang 1234567890 michael 654321 superman 1qaz2wsx 7777777 121212 000000 qazwsx
123qwe killer trustno1 jordan jennifer zxcvbnm asdfgh hunter buster soccer harley
batman andrew tigger sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel
starwars klaster 112233 george computer michelle jessica pepper 1111 zxcvbn 555555
11111111 131313 freedom 777777 pass maggie 159753 aaaaaa ginger princess joshua cheese
amanda summer love ashley nicole chelsea biteme matthew access yankees 987654321 dallas
austin thunder taylor matrix william corvette hello martin heather secret merlin diamond
1234qwer gfhjkm hammer silver 222222 88888888 anthony justin test bailey q1w2e3r4t5
patrick internet scooter orange 11111 golfer cookie richard samantha bigdog guitar
jackson whatever mickey chicken sparky snoopy maverick phoenix camaro peanut morgan
welcome falcon cowboy ferrari samsung andrea smokey steelers joseph mercedes dakota
arsenal eagles melissa boomer booboo spider nascar monster tigers yellow xxxxxx 123123123
gateway marina diablo bulldog qwer1234 compaq purple hardcore banana junior hannah
123654 porsche lakers iceman money cowboys 987654 london tennis 999999 ncc1701 coffee
scooby 0000 miller boston q1w2e3r4 brandon yamaha chester mother forever johnny edward
333333 oliver redsox player nikita knight fender barney midnight please brandy chicago
badboy slayer rangers charles angel flower bigdaddy rabbit wizard jasper enter rachel
chris steven winner adidas victoria natasha 1q2w3e4r jasmine winter prince panties marine
ghbdtn fishing cocacola casper james 232323 raiders 888888 marlboro gandalf asdfasdf
crystal 87654321 12344321 golden 8675309 passw0rd p@ssw0rd p@ssword password1 password12
password123 password1234 admin administrator root toor changeme default guest login
welcome1 welcome123 qwerty123 qwerty1234 iloveyou1 abc12345 monkey123 dragon123
football1 baseball1 superman1 batman123 letmein1 trustno1 starwars1 princess1 sunshine1
lösenord losenord losen hejsan hejhej sommar vinter varen hosten sverige stockholm
goteborg göteborg malmo malmö uppsala kommun hemtjanst hemtjänst omsorg aldreomsorg
äldreomsorg sjukhus jobbet arbete kaffe fotboll hockey katten hunden blomma kärlek
karlek mamma pappa familjen hemligt hemlig välkommen valkommen casetrack synpunkt
klagomal klagomål avvikelse enhetschef handlaggare""".split()

WORDS = """password lösenord losenord qwerty welcome välkommen valkommen sommar vinter hosten
hösten varen våren sverige stockholm goteborg göteborg malmo malmö kommun hemtjanst
hemtjänst omsorg aldreomsorg äldreomsorg admin administrator casetrack iloveyou letmein
dragon monkey football baseball sunshine princess superman batman master shadow michael
jennifer jessica charlie thomas daniel andrew robert computer internet hello freedom
whatever secret summer winter spring autumn changeme trustno1 starwars pokemon minecraft
jordan hunter buster soccer harley ranger hockey tigger cookie mustang passw0rd p@ssw0rd
abc asdf zxcvbnm qwertyuiop asdfghjkl""".split()

SUFFIXES = [
    "",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "!",
    "1!",
    "123!",
    "2020",
    "2021",
    "2022",
    "2023",
    "2024",
    "2025",
    "2026",
    "2027",
    "2024!",
    "2025!",
    "2026!",
    "01",
    "99",
    "00",
    "11",
    "69",
    "007",
]

WALKS = """123456789012 1234567890123 12345678901234 123456789123 1234512345 111111111111
000000000000 123123123123 121212121212 qwertyuiopå qwertyuiop12 qwertyuiop123
1qaz2wsx3edc 1qaz2wsx3edc4rfv qazwsxedcrfv zaq12wsxcde3 q1w2e3r4t5y6 1q2w3e4r5t6y
1q2w3e4r5t6y7u8i asdfghjkl123 asdfghjklö zxcvbnm123456 qweasdzxc123 abcdefghijkl
abcdefgh1234 aaaaaaaaaaaa abcabcabcabc 987654321098 098765432112 qwerty123456
qwertyqwerty asdfasdfasdf 123qweasdzxc passwordpassword lösenordlösenord
iloveyouiloveyou""".split()


def build() -> list[str]:
    entries = set(TOP) | set(WALKS)
    for word in WORDS:
        for variant in {word, word.capitalize()}:
            for suffix in SUFFIXES:
                entries.add(variant + suffix)
        entries.add(word + word)
    for year in range(1940, 2031):
        for word in WORDS[:40]:
            entries.add(f"{word}{year}")
    return sorted({entry.lower() for entry in entries})


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "casetrack" / "data" / "common_passwords.txt"
    lines = build()
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} entries written to {target}")
