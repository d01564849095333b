/*
 * processing._speedups: range-checked item writes for unlocked SharedArrays of integers.
 *
 * An unlocked SharedArray of a native integer format is a ctypes array over shared memory,
 * so that a[i] and a[i] = x run ctypes' own C code, as in multiprocessing.Array(lock=False).
 * But ctypes wraps what does not fit (300 stored into a 'B' item becomes 44), and a
 * SharedArray refuses it, as struct and array.array do. Checking in a Python __setitem__
 * costs about half the speed; no C code in CPython both checks the range and accepts a list
 * for a slice, and a class cannot send ints and slices to different C code.
 *
 * This module puts that check in C: install() replaces the item-assignment slot of one
 * SharedArray class (a heap type that subclasses a ctypes array type) with a writer for its
 * format. For an int index and an int value the format can hold, the writer calls ctypes'
 * own assignment; everything else (slices, other types, values out of range, bad indexes,
 * errors) goes to the Python fallback given to setup(), which reports it in SharedArray's
 * words. The class keeps its Python __setitem__ in its dict, which does the same thing, so
 * behaviour is the same with or without this module: only speed differs.
 *
 * Where the layout of a ctypes object is the one this file expects (checked once, by setup(),
 * on a probe array whose address and length Python gives), a value that fits is stored
 * straight into the array's memory, without ctypes' own conversion of index and value: the
 * same bytes ctypes would store, found the way ctypes finds them (b_ptr, b_length).
 *
 * Optional: processing works without it (a machine with no C compiler builds none).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>

/* ctypes' item assignment for arrays (one function for every ctypes array type). */
static objobjargproc ctypes_store = NULL;
/* The Python writer, fallback(array, index, value): SharedArray's checks and messages. */
static PyObject *fallback = NULL;

/* The start of CPython's CDataObject (Modules/_ctypes/ctypes.h, the same from 3.8 to 3.14):
 * the memory block and, for an array, its length. Read only when setup() found that a probe
 * array's fields say what ctypes.addressof() and len() say. */
typedef struct {
    PyObject_HEAD
    char *b_ptr;
    int b_needsfree;
    PyObject *b_base;
    Py_ssize_t b_size;
    Py_ssize_t b_length;
} cdata_head;
static int layout_known = 0;

/* The item index of an array for an exact-int index, or -1 when the fallback must judge it
 * (out of range, too large: its error message is SharedArray's). */
static Py_ssize_t
item_index(PyObject *array, PyObject *index)
{
    Py_ssize_t i = PyLong_AsSsize_t(index);
    if (i == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    Py_ssize_t length = ((cdata_head *)array)->b_length;
    if (i < 0) {
        i += length;
    }
    return (i < 0 || i >= length) ? -1 : i;
}

static int
write_by_fallback(PyObject *array, PyObject *index, PyObject *value)
{
    if (value == NULL) {
        /* del a[i]: ctypes' own answer (arrays keep their length). */
        return ctypes_store(array, index, value);
    }
    PyObject *args[3] = {array, index, value};
    PyObject *result = PyObject_Vectorcall(fallback, args, 3, NULL);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* Store a value the writer found to fit through ctypes; anything else, or an error from
 * ctypes (a bad index), is the fallback's to judge and report. */
static int
store_or_fall_back(PyObject *array, PyObject *index, PyObject *value, int fits)
{
    if (fits && ctypes_store(array, index, value) == 0) {
        return 0;
    }
    PyErr_Clear();
    return write_by_fallback(array, index, value);
}

/* The fast path takes only exact ints: a bool, an int subclass or anything with __index__
 * goes to the fallback, as does a deletion (value NULL). */
/* A value that fits, at an index in range: stored straight into the array's memory where
 * the layout is known, else through ctypes. */
#define STORE(TYPE)                                                                        \
    if (fits && layout_known) {                                                            \
        Py_ssize_t i = item_index(array, index);                                           \
        if (i >= 0) {                                                                      \
            ((TYPE *)((cdata_head *)array)->b_ptr)[i] = (TYPE)number;                      \
            return 0;                                                                      \
        }                                                                                  \
        return write_by_fallback(array, index, value);                                     \
    }                                                                                      \
    return store_or_fall_back(array, index, value, fits);

#define SIGNED_WRITER(NAME, TYPE, LOW, HIGH)                                               \
    static int NAME(PyObject *array, PyObject *index, PyObject *value)                     \
    {                                                                                      \
        if (value == NULL || !PyLong_CheckExact(index) || !PyLong_CheckExact(value)) {     \
            return write_by_fallback(array, index, value);                                 \
        }                                                                                  \
        int overflow;                                                                      \
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);                 \
        int fits = !overflow && number >= (LOW) && number <= (HIGH)                        \
                   && !(number == -1 && PyErr_Occurred());                                 \
        STORE(TYPE)                                                                        \
    }

#define UNSIGNED_WRITER(NAME, TYPE, HIGH)                                                  \
    static int NAME(PyObject *array, PyObject *index, PyObject *value)                     \
    {                                                                                      \
        if (value == NULL || !PyLong_CheckExact(index) || !PyLong_CheckExact(value)) {     \
            return write_by_fallback(array, index, value);                                 \
        }                                                                                  \
        unsigned long long number = PyLong_AsUnsignedLongLong(value);                      \
        int fits = !(number == (unsigned long long)-1 && PyErr_Occurred()) && number <= (HIGH); \
        STORE(TYPE)                                                                        \
    }

/* The bounds of each C type, as struct's native formats ('@') use them. */
SIGNED_WRITER(write_b, signed char, SCHAR_MIN, SCHAR_MAX)
UNSIGNED_WRITER(write_B, unsigned char, UCHAR_MAX)
SIGNED_WRITER(write_h, short, SHRT_MIN, SHRT_MAX)
UNSIGNED_WRITER(write_H, unsigned short, USHRT_MAX)
SIGNED_WRITER(write_i, int, INT_MIN, INT_MAX)
UNSIGNED_WRITER(write_I, unsigned int, UINT_MAX)
SIGNED_WRITER(write_l, long, LONG_MIN, LONG_MAX)
UNSIGNED_WRITER(write_L, unsigned long, ULONG_MAX)
SIGNED_WRITER(write_q, long long, LLONG_MIN, LLONG_MAX)
UNSIGNED_WRITER(write_Q, unsigned long long, ULLONG_MAX)
SIGNED_WRITER(write_n, Py_ssize_t, PY_SSIZE_T_MIN, PY_SSIZE_T_MAX)
UNSIGNED_WRITER(write_N, size_t, SIZE_MAX)

static objobjargproc
writer_for(const char *code)
{
    if (code[0] == '\0' || code[1] != '\0') {
        return NULL;
    }
    switch (code[0]) {
    case 'b': return write_b;
    case 'B': return write_B;
    case 'h': return write_h;
    case 'H': return write_H;
    case 'i': return write_i;
    case 'I': return write_I;
    case 'l': return write_l;
    case 'L': return write_L;
    case 'q': return write_q;
    case 'Q': return write_Q;
    case 'n': return write_n;
    case 'N': return write_N;
    default: return NULL;
    }
}

PyDoc_STRVAR(setup_doc,
"setup(array_type, fallback, probe=None, address=0, length=0)\n--\n\n"
"Take ctypes' item assignment from array_type (any ctypes array type) and the Python\n"
"writer fallback(array, index, value) for everything the C writers do not store. With a\n"
"probe array of array_type, its ctypes.addressof() and its len(), the writers store\n"
"straight into memory if the probe's fields say the same (the layout is as expected).");

static PyObject *
setup(PyObject *module, PyObject *args)
{
    PyTypeObject *array_type;
    PyObject *writer;
    PyObject *probe = NULL;
    unsigned long long address = 0;
    Py_ssize_t length = 0;
    if (!PyArg_ParseTuple(args, "O!O|OKn:setup", &PyType_Type, &array_type, &writer, &probe,
                          &address, &length)) {
        return NULL;
    }
    if (array_type->tp_as_mapping == NULL
        || array_type->tp_as_mapping->mp_ass_subscript == NULL) {
        PyErr_SetString(PyExc_TypeError, "setup: array_type must be a ctypes array type");
        return NULL;
    }
    if (!PyCallable_Check(writer)) {
        PyErr_SetString(PyExc_TypeError, "setup: fallback must be callable");
        return NULL;
    }
    ctypes_store = array_type->tp_as_mapping->mp_ass_subscript;
    Py_INCREF(writer);
    Py_XSETREF(fallback, writer);
    layout_known = probe != NULL && Py_TYPE(probe) == array_type && length > 0
                   && (unsigned long long)(uintptr_t)((cdata_head *)probe)->b_ptr == address
                   && ((cdata_head *)probe)->b_length == length;
    return PyBool_FromLong(layout_known);
}

PyDoc_STRVAR(install_doc,
"install(cls, code) -> bool\n--\n\n"
"Give cls (a SharedArray class over a ctypes array type) the C writer for the integer\n"
"format code; False, and nothing changed, where there is none or setup() has not run.");

static PyObject *
install(PyObject *module, PyObject *args)
{
    PyTypeObject *cls;
    const char *code;
    if (!PyArg_ParseTuple(args, "O!s:install", &PyType_Type, &cls, &code)) {
        return NULL;
    }
    objobjargproc writer = writer_for(code);
    /* Only heap types own their slot table; only a ctypes array may reach ctypes_store. */
    if (writer == NULL || ctypes_store == NULL || fallback == NULL
        || !(cls->tp_flags & Py_TPFLAGS_HEAPTYPE) || cls->tp_as_mapping == NULL
        || cls->tp_base == NULL || cls->tp_base->tp_as_mapping == NULL
        || cls->tp_base->tp_as_mapping->mp_ass_subscript != ctypes_store) {
        Py_RETURN_FALSE;
    }
    cls->tp_as_mapping->mp_ass_subscript = writer;
    Py_RETURN_TRUE;
}

static PyMethodDef methods[] = {
    {"setup", setup, METH_VARARGS, setup_doc},
    {"install", install, METH_VARARGS, install_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "processing._speedups",
    "Range-checked item writes in C for unlocked SharedArrays of integers.",
    -1,
    methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module_def);
}
