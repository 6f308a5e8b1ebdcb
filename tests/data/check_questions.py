import json, sys, unicodedata, re
from collections import Counter

# Checks a question set against the interview: valid lines, unique ids, known kinds and styles,
# and every gold string (folded as ../shared/eval/README.md says) a substring of the source.
# usage: python3 tests/data/check_questions.py [SET.jsonl] [SOURCE.txt]
import os
HERE = os.path.dirname(os.path.abspath(__file__))
QS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "own.jsonl")
SRC = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "corpus", "kaifu-lee-01ai-2025-01-07.md")
KINDS = {"hant", "hans", "en", "keyword", "none"}
STYLES = {"short", "chat", "mainland", "taiwan", "cantonese", "codeswitch", "english",
          "paraphrase", "typo", "indirect", "meta", "followup", "unanswerable", "offtopic"}

def fold(s):
    return "".join(c for c in unicodedata.normalize("NFKC", s).lower() if c.isalnum())

# small heuristic table of simplified/traditional-only characters
SIMP = set("们这说为么个来时东车国发开关问题实验卖买钱单亏赔样员业务团队训练预应级优场软样级长门现还没让给体讲话边过说对赛"
           "网页传谁领导数据处认识总结费独设计报产层带传费别类构记营项厂线见节论计标准图经资"
           "万无与专两严丰临丽举义乐习书买亚产亿仅从仓优会传伤债单卖厂历压县变启员响团围图")
TRAD = set("們這說為麼個來時東車國發開關問題實驗賣買錢單虧賠樣員業務團隊訓練預應級優場軟長門現還沒讓給體講話邊過對賽"
           "網頁傳誰領導數據處認識總結費獨設計報產層帶別類構記營項廠線見節論計標準圖經資"
           "萬無與專兩嚴豐臨麗舉義樂習書亞億僅從倉會傷債歷壓縣變啟響圍")
SIMP -= TRAD; TRAD -= SIMP

src = fold(open(SRC, encoding="utf-8").read())
errors, warns = [], []
ids = set()
rows = []
for ln, line in enumerate(open(QS, encoding="utf-8"), 1):
    try:
        d = json.loads(line)
    except Exception as e:
        errors.append(f"line {ln}: bad JSON {e}"); continue
    rows.append(d)
    i = d.get("id")
    if i in ids: errors.append(f"{i}: duplicate id")
    ids.add(i)
    for key in ("id", "kind", "style", "split", "query", "gold"):
        if key not in d: errors.append(f"{i}: missing {key}")
    extra = set(d) - {"id", "kind", "style", "split", "query", "gold", "context"}
    if extra: errors.append(f"{i}: extra keys {extra}")
    k, st, sp, q, g = d.get("kind"), d.get("style"), d.get("split"), d.get("query", ""), d.get("gold", [])
    if k not in KINDS: errors.append(f"{i}: bad kind {k}")
    if st not in STYLES: errors.append(f"{i}: bad style {st}")
    if sp not in ("fit", "test"): errors.append(f"{i}: bad split {sp}")
    if not isinstance(q, str) or not q.strip(): errors.append(f"{i}: empty query")
    if not isinstance(g, list): errors.append(f"{i}: gold not a list"); g = []
    if st in ("unanswerable", "offtopic") and k != "none": errors.append(f"{i}: {st} must be kind none")
    if (k == "none") != (len(g) == 0): errors.append(f"{i}: kind none <=> empty gold violated")
    if k != "none" and not (1 <= len(g) <= 4): errors.append(f"{i}: {len(g)} gold strings")
    if st == "followup":
        if not d.get("context"): errors.append(f"{i}: followup without context")
    elif "context" in d: errors.append(f"{i}: context on non-followup")
    for s in g:
        if not (6 <= len(s) <= 25): errors.append(f"{i}: gold length {len(s)}: {s}")
        f = fold(s)
        if len(f) < 6: errors.append(f"{i}: folded gold too short: {s}")
        if f not in src: errors.append(f"{i}: gold not in source: {s}")
    # script heuristics
    cs = set(q)
    ns, nt = len(cs & SIMP), len(cs & TRAD)
    han = any("\u4e00" <= c <= "\u9fff" for c in q)
    if k == "hans" and nt: warns.append(f"{i}: hans query has trad chars {cs & TRAD}: {q}")
    if k == "hant" and ns: warns.append(f"{i}: hant query has simp chars {cs & SIMP}: {q}")
    if k == "en" and han: errors.append(f"{i}: en query contains Han characters")
    if k in ("hans", "hant") and not han: errors.append(f"{i}: {k} query without Han characters")

for e in errors: print("ERROR", e)
for w in warns: print("WARN ", w)
print(f"{len(rows)} items, {len(errors)} errors, {len(warns)} warnings")

def show(name, c):
    print(name + ": " + ", ".join(f"{a}={b}" for a, b in sorted(c.items())))
show("style", Counter(r["style"] for r in rows))
show("kind", Counter(r["kind"] for r in rows))
show("split", Counter(r["split"] for r in rows))
print("split per style:")
for st in sorted(STYLES):
    c = Counter(r["split"] for r in rows if r["style"] == st)
    print(f"  {st:13s} fit={c['fit']:3d} test={c['test']:3d}")
# script share over all queries (by kind, none/keyword judged by characters)
def script(r):
    q = r["query"]; cs = set(q)
    if not any("\u4e00" <= c <= "\u9fff" for c in q): return "latin"
    if r["kind"] in ("hans", "hant"): return r["kind"]
    return "hans" if len(cs & SIMP) > len(cs & TRAD) else "hant"
show("script", Counter(script(r) for r in rows))
sys.exit(1 if errors else 0)
