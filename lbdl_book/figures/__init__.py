"""Plotting code of the book's figures, one module per chapter (``figures.ch04`` draws
the figures of Chapter 4), so that a page's cells show the idea and the measurement,
not the axes, colours and legends. Each function takes the data a page computed and
returns a matplotlib figure in the house style of :mod:`lbdl_book.plot`."""
