"""A small corpus written for this book, to train character-level language models (§5.3).

About 4,200 words of plain English in 57 paragraphs: short explanations of the ideas of
the book (data, losses, gradients, layers, attention, generation) alternating with
simple stories (a lighthouse keeper, a baker, a fox, a girl who counts birds, a robot
that learns to sort). The vocabulary is deliberately plain and repetitive, so that a
model trained for a few seconds can pick up spelling and frequent words. It was
written for this edition and is licensed with the book's text (CC BY-NC-SA 4.0). It
ships as a Python string: nothing is downloaded. Paragraphs are separated by one blank
line and use only ASCII letters, digits, spaces and simple punctuation.

:func:`split` holds out every k-th paragraph as validation text, so that the
validation paragraphs are new sentences on the same topics, not a cut in the middle of
one.
"""

from __future__ import annotations

__all__ = ["corpus", "paragraphs", "split"]

_CORPUS = """\
A model is a function with many knobs. Each knob is a number, and the numbers are called \
parameters. When we train a model, we turn the knobs a little at a time, so that the \
function gives better answers on the examples we have. We never set the knobs by hand. \
We only say what a good answer is, and the training does the rest.

The old lighthouse keeper lived on a small rock far from the town. Every evening he \
climbed the stairs, cleaned the glass and lit the lamp. Every morning he wrote in his \
book how the sea had been during the night. After many years the book was full, and he \
could tell from the color of the sky what the sea would do the next day. Nobody had \
taught him the rule. He had learned it from the pages of his own book.

To learn from data, we need a way to measure mistakes. This measure is the loss. A \
small loss means that the model is close to the answers in the examples, and a large \
loss means that it is far from them. Training is the search for parameters that make \
the loss small. The search does not need to understand the task. It only needs to know, \
at each step, in which direction the loss goes down.

The direction in which the loss goes down fastest is given by the gradient. The \
gradient tells us, for every parameter, how much the loss would change if that \
parameter moved a little. Gradient descent takes a small step against the gradient, \
computes the gradient again, and takes another step. With a good learning rate, the \
loss goes down step after step. With a learning rate that is too large, the loss jumps \
around and may grow without end.

The baker woke up before the sun. She mixed flour, water, salt and a little yeast, and \
she left the dough to rest. When she was young, her bread was often too hard or too \
soft. Her mother told her to look at the dough and to touch it, every day, and to \
remember what she saw. Now she does not measure anything. Her hands know when the dough \
is ready, because they have felt it ready a thousand times.

A deep model is made of layers. Each layer takes a list of numbers and gives back \
another list of numbers. The first layers see the raw data, such as the pixels of an \
image or the letters of a text. The last layers give the answer. Between them, the \
layers build new ways to describe the data, and each description is a little more \
useful for the task than the one before.

Computing the gradient of a deep model seems hard, because every parameter changes \
the output through many layers. The trick is to go backward. We first compute the \
output, layer after layer, and keep what each layer computed. Then we start from the \
loss and go back through the layers, one at a time, and each layer passes the gradient \
to the layer before it. This is backpropagation, and it costs about as much as \
computing the output twice.

A young fox lived at the edge of the forest. Every night she went to the river to \
drink, and every night she took the same path between the rocks. One night the river \
was high and the path was under water. The fox stopped, looked at the water, and \
walked along the bank until she found a place where the stones were dry. The next \
night she took the new path at once. She did not need to learn it twice.

We do not train a model on all the data at once. We cut the data into small groups \
called batches, and we compute the gradient on one batch at a time. The gradient of a \
batch is not exactly the gradient of the whole data, but it points in almost the same \
direction, and it is much cheaper to compute. Many small and noisy steps are often \
better than a few large and careful ones.

A model that learns its training examples too well may fail on new ones. It can \
remember the noise of the examples instead of the rule behind them. This is called \
overfitting. To see it, we keep some data aside and never train on it. If the loss on \
the training data goes down while the loss on the kept data goes up, the model has \
started to remember instead of to learn.

Mia liked to count birds. Every morning she sat by the window with a notebook and \
wrote down every bird she saw: three sparrows, one crow, two small blue birds she did \
not know. After a month she noticed that the crows came early and the sparrows came \
late, and that the blue birds came only when it rained. She showed her notebook to her \
teacher, who told her that this is how science begins: with patient counting.

A text is a sequence of symbols. For a computer, a symbol is just a number, so a text \
is a list of numbers. A language model reads the first symbols of a text and gives a \
probability to every symbol that could come next. A good model gives a high \
probability to the symbol that really comes. The loss is the surprise of the model, \
and the model learns by being less surprised, one symbol after another.

The symbols can be single letters. Then the model has to learn how words are spelled \
before it can learn anything else. The symbols can also be pieces of words, or whole \
words. Longer pieces make the texts shorter, but the model must then choose among many \
more symbols. In this section the symbols are single letters, because our texts are \
small and our models are tiny.

Once a model predicts the next symbol, it can write. We give it the start of a \
sentence, we draw the next symbol from the probabilities it gives, we add the symbol \
to the sentence, and we start again. The model never writes the whole text at once. It \
writes one symbol at a time, and each new symbol depends on all the symbols that came \
before it.

The robot in the workshop had one job: to sort screws from nails. At first it made \
many mistakes, and a person had to check every box. Each time the person moved a screw \
from the box of nails, the robot changed its knobs a little. After a week the robot \
made one mistake in a hundred. After a month it made one mistake in a thousand, and \
the person went to do other work.

Attention is a way for a model to look at a whole sequence at once. Each position asks \
a question, called a query. Each position also offers a key, which says what it has, \
and a value, which is what it gives. The query of one position is compared with the \
keys of all the positions, and the best matches give the most of their values. In \
this way, a position can take what it needs from far away in the sequence.

When a model writes a text, a position must not look at the symbols that come after \
it, because they do not exist yet. We forbid it with a mask. The mask lets each \
position look at itself and at the positions before it, and hides all the positions \
after it. A model built this way is called causal, and it can be trained on a whole \
text in one pass, because no position can cheat by looking ahead.

The old man in the village kept bees. In the spring he opened the boxes slowly and \
looked at the bees, to see if they were strong. He did not read books about bees. He \
had watched them for fifty years, and he knew that a quiet box was a happy box, and \
that a loud box was an angry one. When children came to see the bees, he told them to \
move slowly and to listen.

A Transformer is made of blocks. In each block, an attention layer lets every position \
look at the others, and then a small network changes each position on its own. Each \
block adds its result to its input, so the input can pass through the block almost \
unchanged. This makes it possible to stack many blocks, and the deepest models have \
close to one hundred of them.

A GPT is a Transformer that only looks backward. It reads a text, and at every \
position it gives the probabilities of the next symbol. It is trained on a very large \
amount of text, with no labels at all: the text itself tells the model what should \
come next. The same simple task, repeated over billions of symbols, teaches the model \
spelling, grammar, facts about the world, and a little of how people think.

The small boat left the harbor at dawn. The sea was calm, and the wind was light. The \
fisherman knew the water well. He knew where the fish were in the morning and where \
they went when the sun was high. He did not use a map. He watched the birds, because \
the birds always found the fish first. By noon the boat was full, and he turned back \
to the harbor.

Numbers in a computer have a limited precision. A number stored with few bits takes \
less memory and is faster to compute with, but it is less exact. Training a large \
model needs a lot of memory and a lot of computation, so we often use numbers with \
fewer bits where they are good enough, and more bits where small errors could grow \
and ruin the result.

The size of a model is the number of its parameters. A small model may have a few \
thousand parameters, a large one many billions. Larger models trained on more data \
tend to make fewer mistakes, and their loss goes down in a regular way as they grow. \
This is why the largest models of today are trained on thousands of machines for many \
weeks.

The teacher drew a curve on the board and asked the class to find its lowest point. \
One student started at the left and walked down the curve, step by step. Another \
started at the right and did the same. They met at the bottom and laughed. The teacher \
said that this is what a computer does when it trains a model, except that its curve \
has millions of directions and it cannot see the whole board.

A layer normalization makes the numbers of each position have a mean of zero and a \
spread of one. Without it, the numbers could grow larger and larger from one block to \
the next, and training would become unstable. With it, every block receives numbers \
of a similar size, whatever happened before. Two small sets of parameters then let the \
layer choose the best scale and the best shift.

Every position in a sequence needs to know where it is. Attention alone does not tell \
it, because attention treats the positions as a set without order. So we add to each \
position a vector that depends on its place in the sequence. The vectors can be fixed \
in advance, or they can be learned like any other parameter. A GPT learns them, and so \
it cannot read a sequence longer than the ones it was trained on.

The girl and her brother built a tower of wooden blocks. Each time the tower fell, \
they looked at how it fell and built it again. They learned to put the large blocks at \
the bottom and the small ones at the top. They learned that a tower that is too thin \
falls, and that a tower that is too wide is boring. By the end of the day their tower \
was taller than their father.

When a model writes, we can make it more careful or more bold. Before drawing the next \
symbol, we divide the scores of all the symbols by a number called the temperature. A \
low temperature makes the most likely symbol even more likely, and the text becomes \
safe and repetitive. A high temperature makes all the symbols more equal, and the text \
becomes surprising and often wrong. A temperature of one keeps the probabilities of \
the model.

Another way to keep a model from writing nonsense is to keep only the best few \
symbols. At each step we look at the symbols with the highest scores, keep a small \
number of them, and draw the next symbol among those only. The rare symbols can no \
longer be drawn, so the text makes fewer strange mistakes, but it also loses some of \
its variety.

The old clock in the town hall had stopped many years ago. A young woman decided to \
repair it. She opened the case and found hundreds of small wheels. She did not know \
what each wheel did, so she turned them one by one and watched what moved. After many \
days she understood how the wheels worked together, and one morning the whole town \
heard the clock ring again.

The same matrix can be used twice in a language model. At the start, it turns each \
symbol into a vector. At the end, it turns a vector back into a score for each symbol. \
Using the same matrix for both saves many parameters, and it means that a symbol and \
the vectors that predict it live in the same space. In a large model with a big \
vocabulary, this matrix alone can hold a good part of all the parameters.

A model learns only what its data can teach it. If the examples are wrong, the model \
learns to be wrong. If some cases never appear in the data, the model has no reason \
to handle them well. This is why people who train models spend much of their time on \
the data: collecting it, cleaning it, and checking that it looks like the cases the \
model will meet later.

The cat sat on the wall every afternoon and watched the street. She knew the sound of \
every car and the step of every neighbor. When a stranger walked by, she raised her \
head. When the postman came, she jumped down and walked to the door, because the \
postman sometimes had a treat in his pocket. She had learned it on the first day, and \
she never forgot.

Training a model is an experiment. We choose a model, a loss, a learning rate and a \
number of steps, and we watch the loss as it goes down. If it goes down too slowly, we \
may raise the learning rate. If it jumps around, we lower it. If the loss on the kept \
data stops going down, we stop. Most of the skill of training is in watching the \
curves and knowing what they mean.

A convolution looks at a small window of the input and slides it over the whole \
image. The same small set of weights is used at every place, so a pattern that is \
learned in one corner can be found in any other corner. This saves a great number of \
parameters, and it fits the nature of images, where a cat is a cat whether it sits on \
the left or on the right of the picture.

The gardener planted seeds in long rows and wrote the day on a small stick at the end \
of each row. Some rows got more water, some got more sun, and some got both. When the \
plants came up, she measured them and wrote the numbers in her book. The next year she \
did not guess. She gave each kind of plant the water and the sun that had worked best, \
and her garden was the greenest on the street.

Pooling makes an image smaller by keeping only the largest value in each small \
window. The exact place of a feature is lost, but the fact that the feature is there \
is kept. After a few layers of convolution and pooling, the model no longer knows \
where each edge was, but it knows that there was an eye, a nose and a mouth, and that \
is enough to say that the picture shows a face.

During training, dropout sets some numbers to zero at random, a different set at every \
step. The model can no longer count on any single number being there, so it learns to \
spread what it knows over many of them. When training is over, dropout is turned off, \
and the model uses all its numbers at once. It often does better on new data than a \
model trained without dropout.

The walker wanted to reach the top of the mountain before night. There was fog, and \
she could see only a few steps ahead. So she did the simple thing: at each step she \
went in the direction where the ground rose the most. Twice she reached a small top \
and had to walk down again to find a better way. In the evening, tired and happy, she \
stood on the highest rock and watched the fog below her.

A classifier gives a score to each class, and the class with the highest score is its \
answer. To train it, we turn the scores into probabilities and we ask for a high \
probability on the true class. The loss is called the cross entropy. It is large when \
the model is sure and wrong, small when the model is sure and right, and in between \
when the model hesitates.

The market opened early on Saturday. The old seller of apples knew every customer. \
She knew who wanted sweet apples and who wanted sour ones, who came early and who came \
late, and who always asked for a lower price. When a new customer came, she asked one \
question and looked at the basket. After that, she chose the apples herself, and she \
was almost never wrong.

An embedding turns a symbol into a vector. Each symbol has its own row in a table, and \
the table is learned like any other parameter. At the start, the rows are random. \
After training, symbols that play similar roles have rows that are close to each \
other, because the model found it useful to treat them in a similar way. Nobody told \
the model which symbols were similar. It found out from the data.

A graphics card has thousands of small computing units that work at the same time. \
It is very fast when the same operation must be done on many numbers, as in the \
product of two large tables of numbers. Deep models are built almost only from such \
products, and this is why they run so well on graphics cards. The slow part is often \
not the computation but moving the numbers in and out of the card.

The children in the library read the same book about a dragon again and again. After \
a while they could say the next word before the teacher turned the page. They knew \
that the dragon would say it was hungry, and that the knight would answer that he had \
brought bread. They laughed before the joke, because they knew it was coming. They had \
learned the book by reading it many times, one word after another.

A residual connection adds the input of a block to its output. If the block has \
nothing useful to add, it can learn to output almost nothing, and the input passes \
through unchanged. This makes very deep models much easier to train, because the \
gradient can flow back through the additions without becoming too small. Almost every \
large model today uses residual connections.

The train left the station at eight every morning. The man who sold newspapers knew \
that at ten to eight the platform would be full, and that at five past eight it would \
be empty. He did not need a clock. He watched the people: when they began to walk \
fast, the train was near. On the day the train was late, he noticed it before the \
clock did, because nobody was walking fast.

A tensor is a table of numbers with any number of dimensions. A list is a tensor with \
one dimension, an image is a tensor with three: its height, its width and its colors. \
A batch of images adds a fourth. Deep learning libraries are built around tensors, and \
most of the code of a model is about their shapes: which dimension means what, and how \
the shapes change from one layer to the next.

It snowed all night, and in the morning the village was white. The children ran out \
to build a snowman. The first one fell, because the snow was too dry. They waited for \
the sun to warm the snow a little, and the second one stood. They gave it a hat, a \
scarf and two stones for eyes. By the evening it was smaller, and the next day only \
the hat was left on the grass.

Weight decay pulls every parameter a little toward zero at each step. A parameter \
that the data does not need slowly shrinks and stops mattering. A parameter that the \
data needs is pushed back by the gradient and stays. The model ends up with smaller \
weights, and models with smaller weights tend to change less when their input changes \
a little, which often makes them better on new data.

The chess player lost her first hundred games. After each one, she went back to the \
board and looked for the move where things went wrong. Slowly she saw patterns: a \
piece left alone in the middle of the board, a king with no pawns in front of it. She \
did not learn rules from a book. She learned them from her own mistakes, one game at \
a time, and one day she stopped losing.

A language model does not know what is true. It knows what is likely to come next in \
the kind of text it was trained on. Very often, what is likely is also true, because \
the texts it read were mostly written by people who knew what they were talking \
about. But when the model does not know, it still writes something likely, and it may \
write it with the same confidence as a fact.

The farmer looked at the sky every evening before he went to bed. Red clouds in the \
west meant a dry day, and a ring around the moon meant rain. His father had taught him \
these signs, and his grandfather had taught his father. Nobody in the family knew why \
the signs worked. They only knew that they had worked for a very long time, and that \
was enough to decide when to cut the hay.

A model with more parameters than examples can learn every example by heart. One \
would expect it to fail on new data, and small models often do. Yet very large models, \
trained long enough, often do better than smaller ones, even when they could remember \
all their examples. Nobody fully understands why. It seems that among all the ways to \
fit the data, training tends to find simple ones.

The orchestra played the same piece every night for a week. On the first night the \
violins were too fast and the drums were too loud. The conductor listened, and the \
next day she asked the violins to wait and the drums to play more softly. Each night \
the music was a little better. On the last night nobody made a mistake, and the hall \
stood up and clapped for a long time.

Fine tuning starts from a model that has already been trained on a large amount of \
data, and trains it a little more on a small amount of data for a new task. The model \
already knows a lot about the world, so it needs only a few examples to learn what is \
new. This is much cheaper than training a model from the start, and it is how most \
large models are used today.

A boy found an old radio in the attic. It did not work. He opened it, looked at the \
wires, and tried to understand which part did what. He changed one small part, and \
the radio made a noise. He changed another, and the noise became music. His \
grandmother came up the stairs and smiled, because it was the same song she had \
heard on that radio when she was a girl.

At the end of the day the lighthouse keeper climbed the stairs once more. The sea was \
calm, and the sky was red in the west. He lit the lamp and sat by the window with his \
book. A ship passed far away, and he wrote down its name and the time. Tomorrow the sea \
would be calm again. He knew it from the sky, and from the thousand evenings he had \
written in his book.
"""


def corpus() -> str:
    """The whole corpus, one string (about 4,200 words, 57 paragraphs, 21,898 characters)."""
    return _CORPUS


def paragraphs() -> list[str]:
    """The paragraphs of the corpus, in order, without the blank lines between them."""
    return [p.strip() for p in _CORPUS.split("\n\n") if p.strip()]


def split(every: int = 6) -> tuple[str, str]:
    """(training text, validation text): paragraphs 0, …, with every ``every``-th one
    (the last of each group of ``every``) set aside for validation. Each text joins its
    paragraphs with blank lines, as in the corpus."""
    if isinstance(every, bool) or not isinstance(every, int) or every < 2:
        raise ValueError(f"every must be an int >= 2, got {every!r}")
    parts = paragraphs()
    train = [p for i, p in enumerate(parts) if (i + 1) % every]
    validation = [p for i, p in enumerate(parts) if not (i + 1) % every]
    return "\n\n".join(train) + "\n", "\n\n".join(validation) + "\n"
