"""Small texts written for this book, to train tokenizers and language models (§3.2).

Two short essays on learning and computation, one in English and one in Chinese, both
written for this edition (licensed with the book's text, CC BY-NC-SA 4.0). They ship
as Python strings, so nothing is downloaded. Paragraphs are separated by one blank line.
"""

from __future__ import annotations

__all__ = ["chinese_text", "english_text", "text"]

_ENGLISH = """\
A program written by hand is a list of instructions. The person who writes it must \
know, step by step, how to turn the input into the answer. For many tasks we cannot \
write such a list. Nobody knows how to describe, rule after rule, what makes a picture \
show a cat, or which word should come next in a sentence. Yet we can collect many \
examples of the answers we want.

Machine learning starts from those examples. We choose a family of functions that \
depend on numbers called parameters, and we measure with a loss how far the outputs \
are from the answers in the examples. Training then searches for the parameters that \
make the loss small. The program is no longer written by a person: it is found by a \
search guided by data.

The search is done by small steps. At each step we compute how the loss would change \
if every parameter moved a little, and we move all of them in the direction that makes \
the loss go down. One step changes almost nothing, but millions of steps can shape a \
model with billions of parameters. The whole process needs a lot of computation, and \
most of it is spent on products of large tables of numbers.

Text is a good example of data that is easy to collect and hard to describe. A text \
is a sequence of symbols, and a model of text can be trained to predict the next \
symbol from the ones before it. To do this well, the model has to learn spelling, \
then words, then grammar, and in the end a little of what the words mean. The task \
is simple to state, and the examples are free: every sentence ever written is one.

Once a model predicts the next symbol, it can also write. We give it the start of a \
text, draw one symbol at random from its prediction, add that symbol to the text, \
and repeat. Each new symbol depends on all the symbols before it, so the text is \
produced one piece at a time. Training is faster than writing, because during \
training the whole text is already known, and every position can be predicted at \
once.

A prediction is never certain. Instead of a single answer, a good model gives a \
probability to every possible answer, and it is rewarded when it gives a high \
probability to the one that actually comes. When the model is surprised, the loss is \
large; when it expected what came, the loss is small. Over a long text, the average \
surprise tells us how well the model knows the language.

The symbols need not be single letters. A tokenizer cuts the text into pieces that \
are often whole words or frequent parts of words, and gives each piece a number. \
Longer pieces make the sequences shorter, which saves computation, but a larger \
vocabulary makes each prediction harder. A good tokenizer finds a balance between \
the two.

Numbers are the only thing a computer can work with, so every kind of data must be \
turned into numbers first. An image becomes a grid of intensities, a sound becomes a \
list of pressure values, and a text becomes a list of symbol numbers. What the model \
learns is a function between such lists, and how well it learns depends on how the \
data were turned into numbers.

Learning from data has limits. A model can only be as good as the examples it sees, \
and it may repeat their mistakes. It can also fit the examples too closely and fail \
on new ones. This is why we keep some data aside and never train on it: the error \
on that data tells us how the model will behave on cases it has not met before.

Computation changed what is possible. Ideas that were too expensive to test twenty \
years ago now run on a single card in a few hours, and models that once took a \
month to train are now small exercises. The methods did not change as much as the \
scale at which we can apply them. Much of the progress of deep learning comes from \
that scale, from better data, and from careful engineering of models and losses.
"""

_CHINESE = """\
人工编写的程序是一串指令。写程序的人必须一步一步地知道，怎样把输入变成答案。可是很多任务\
写不出这样的指令：没有人能用一条条规则说清楚，一张图片里为什么是一只猫，或者一句话的下一个\
字应该是什么。不过，我们可以收集大量例子，例子里就有我们想要的答案。

机器学习就从这些例子出发。我们先选定一族函数，它们依赖于一组叫作参数的数，再用损失来衡量\
函数的输出离例子中的答案有多远。训练就是寻找让损失变小的参数。这样，程序不再由人来写，而是\
在数据的引导下被搜索出来。

这种搜索是一小步一小步进行的。每一步，我们先算出每个参数稍微变动时损失会怎样变化，然后让\
所有参数都朝着使损失下降的方向移动一点。一步几乎改变不了什么，但成百万步之后，一个拥有数十\
亿参数的模型就成形了。整个过程需要大量计算，其中大部分花在大型数表的乘法上。

文本是一类容易收集、却很难描述的数据。一段文本是一个符号序列，我们可以训练一个模型，根据前\
面的符号预测下一个符号。要预测得好，模型先得学会字怎么写，再学会词，再学会语法，最后还要懂\
一点词语的意思。这个任务说起来很简单，例子也不花钱：人们写下的每一句话都是一个例子。

模型学会预测下一个符号之后，也就学会了写作。我们给它一段开头，从它的预测中随机抽出一个符\
号，接到文本后面，然后重复这个过程。每个新符号都依赖于它前面的所有符号，所以文本只能一个一\
个地生成。训练比写作快得多：训练时整段文本已经摆在那里，每个位置都可以同时预测。

预测从来都不是确定的。好的模型不会只给出一个答案，而是给每一个可能的答案都分配一个概率；\
它给真正出现的那个答案的概率越高，得到的奖励就越多。模型感到意外时，损失就大；出现的正是它\
预料之中的，损失就小。在一段很长的文本上，平均的意外程度告诉我们模型对这门语言掌握得怎么样。

这些符号不一定是单个的字。分词器把文本切成一个个片段，它们往往是完整的词或者常见的词的一部\
分，并给每个片段一个编号。片段越长，序列就越短，计算也就越省；可是词表越大，每一次预测就越\
难。好的分词器要在这两者之间找到平衡。

计算机只会处理数，所以任何数据都得先变成数。图像变成一张亮度的网格，声音变成一列气压值，\
文本变成一列符号编号。模型学到的是这些数列之间的函数，而它学得好不好，也取决于数据是怎样变\
成数的。

从数据中学习也有局限。模型的好坏取决于它见过的例子，例子里的错误它也可能照搬。模型还可能把\
训练样本拟合得过分贴切，结果在新样本上表现很差。所以我们总要留出一部分数据，从不拿它来训练：\
模型在这部分数据上的误差，告诉我们它遇到没见过的情况时会表现如何。

计算能力改变了可能性的边界。二十年前贵得没法尝试的想法，如今在一块显卡上几个小时就能跑完；\
当年要训练一个月的模型，现在只是一道小练习。方法本身的变化，远没有我们能够使用它们的规模变\
化大。深度学习的进步，很大程度上来自规模，来自更好的数据，也来自对模型和损失的精心设计。
"""


def english_text() -> str:
    """A short English essay on learning and computation (about 3.8 KB, 10 paragraphs)."""
    return _ENGLISH


def chinese_text() -> str:
    """A short Chinese essay on the same themes (about 1,250 characters, 10 paragraphs)."""
    return _CHINESE


def text(language: str) -> str:
    """:func:`english_text` for ``"en"``, :func:`chinese_text` for ``"zh"``."""
    texts = {"en": _ENGLISH, "zh": _CHINESE}
    if not isinstance(language, str) or language not in texts:
        raise ValueError(f"language must be 'en' or 'zh', got {language!r}")
    return texts[language]
