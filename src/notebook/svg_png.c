/*
 * svg_png: the image/png twin of a chart's image/svg+xml output.
 *
 * nbconvert, GitHub and many notebook viewers do not draw SVG from a
 * notebook, so each chart is also stored as PNG, the SVG rasterized with
 * librsvg at its own size (width and height in pixels) on cairo.  The
 * SVG kept in a notebook has no "<?xml ...?>" declaration (IPython strips
 * it too: an XML declaration inside HTML breaks nbconvert's templates).
 *
 * librsvg (with glib, cairo and pango: some 50 libraries) is opened with
 * dlopen on the first chart, not linked: linking it made every start of
 * lualab, charts or not, several times slower.  Its headers give the
 * types.  When it cannot be loaded, charts keep their SVG alone.
 */
#include "config.h"

#include "notebook/nb_int.h"

#include <cairo.h>
#include <dlfcn.h>
#include <librsvg/rsvg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Charts larger than this (pixels a side) are scaled down to it. */
#define NB_PNG_MAX_SIDE 4096.0

const char *nb_svg_body(const char *svg)
{
    const char *s = svg;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        if (strncmp(s, "<?xml", 5) != 0 && strncmp(s, "<!DOCTYPE", 9) != 0)
            break;
        const char *end = strchr(s, '>');
        if (!end)
            break;
        s = end + 1;
    }
    return s;
}

static int base64(const unsigned char *in, size_t n, char **out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t m = (n + 2) / 3 * 4;
    char *s = malloc(m + 1);
    if (!s)
        return LL_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        s[j++] = tab[(v >> 18) & 63];
        s[j++] = tab[(v >> 12) & 63];
        s[j++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        s[j++] = i + 2 < n ? tab[v & 63] : '=';
    }
    s[j] = '\0';
    *out = s;
    return LL_OK;
}

/* The functions used, looked up in librsvg and its dependencies. */
static struct {
    int tried;
    void *lib;
    char why[200];
    RsvgHandle *(*new_from_data)(const guint8 *, gsize, GError **);
    gboolean (*size_in_pixels)(RsvgHandle *, gdouble *, gdouble *);
    gboolean (*render)(RsvgHandle *, cairo_t *, const RsvgRectangle *,
                       GError **);
    void (*unref)(gpointer);
    void (*error_free)(GError *);
    cairo_surface_t *(*surface_create)(cairo_format_t, int, int);
    cairo_t *(*create)(cairo_surface_t *);
    cairo_status_t (*status)(cairo_t *);
    void (*flush)(cairo_surface_t *);
    cairo_status_t (*write_png)(cairo_surface_t *, cairo_write_func_t, void *);
    void (*destroy)(cairo_t *);
    void (*surface_destroy)(cairo_surface_t *);
} rs;

/* *fn = dlsym(...), without casting an object pointer to a function
 * pointer (ISO C has no such conversion). */
static int look_up(void *fn, size_t size, const char *name)
{
    void *p = dlsym(rs.lib, name);
    memcpy(fn, &p, size);
    if (!p)
        snprintf(rs.why, sizeof rs.why, "no %s in librsvg-2.so.2", name);
    return p != NULL;
}

#define LOOK_UP(field, name) look_up(&rs.field, sizeof rs.field, name)

static int rsvg_open(void)
{
    if (rs.tried)
        return rs.lib != NULL;
    rs.tried = 1;
    rs.lib = dlopen("librsvg-2.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!rs.lib) {
        const char *e = dlerror();
        snprintf(rs.why, sizeof rs.why, "%s", e ? e : "librsvg not found");
        return 0;
    }
    int ok =
        LOOK_UP(new_from_data, "rsvg_handle_new_from_data") &&
        LOOK_UP(size_in_pixels, "rsvg_handle_get_intrinsic_size_in_pixels") &&
        LOOK_UP(render, "rsvg_handle_render_document") &&
        LOOK_UP(unref, "g_object_unref") &&
        LOOK_UP(error_free, "g_error_free") &&
        LOOK_UP(surface_create, "cairo_image_surface_create") &&
        LOOK_UP(create, "cairo_create") && LOOK_UP(status, "cairo_status") &&
        LOOK_UP(flush, "cairo_surface_flush") &&
        LOOK_UP(write_png, "cairo_surface_write_to_png_stream") &&
        LOOK_UP(destroy, "cairo_destroy") &&
        LOOK_UP(surface_destroy, "cairo_surface_destroy");
    if (!ok) {
        dlclose(rs.lib);
        rs.lib = NULL;
    }
    return ok;
}

static cairo_status_t to_buf(void *closure, const unsigned char *data,
                             unsigned int len)
{
    return ll_buf_append(closure, data, len) == LL_OK ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_NO_MEMORY;
}

int nb_svg_to_png(const char *svg, char **png_base64, ll_err *err)
{
    *png_base64 = NULL;
    if (!rsvg_open())
        return ll_err_set(err, LL_ENOTFOUND, "chart PNG: %s", rs.why);
    const char *body = nb_svg_body(svg);
    GError *gerr = NULL;
    RsvgHandle *h = rs.new_from_data((const guint8 *)body, strlen(body), &gerr);
    if (!h) {
        int rc = ll_err_set(err, LL_EPARSE, "chart SVG: %s",
                            gerr ? gerr->message : "cannot be read");
        if (gerr)
            rs.error_free(gerr);
        return rc;
    }
    double w = 0, hgt = 0;
    if (!rs.size_in_pixels(h, &w, &hgt) || !(w >= 1) || !(hgt >= 1)) {
        w = 640;
        hgt = 400;
    }
    double scale = 1;
    if (w > NB_PNG_MAX_SIDE || hgt > NB_PNG_MAX_SIDE)
        scale = NB_PNG_MAX_SIDE / (w > hgt ? w : hgt);
    int pw = (int)ceil(w * scale), ph = (int)ceil(hgt * scale);
    if (pw < 1)
        pw = 1;
    if (ph < 1)
        ph = 1;
    cairo_surface_t *surf = rs.surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
    cairo_t *cr = rs.create(surf);
    RsvgRectangle vp = {0, 0, pw, ph};
    int rc = LL_OK;
    if (rs.status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = ll_err_set(err, LL_ENOMEM, "chart PNG: out of memory");
    } else if (!rs.render(h, cr, &vp, &gerr)) {
        rc = ll_err_set(err, LL_EPARSE, "chart SVG: %s",
                        gerr ? gerr->message : "cannot be drawn");
    }
    ll_buf png;
    ll_buf_init(&png);
    if (rc == LL_OK) {
        rs.flush(surf);
        if (rs.write_png(surf, to_buf, &png) != CAIRO_STATUS_SUCCESS)
            rc = ll_err_set(err, LL_ENOMEM, "chart PNG: cannot encode");
    }
    if (rc == LL_OK &&
        base64((const unsigned char *)png.data, png.len, png_base64) != LL_OK)
        rc = ll_err_set(err, LL_ENOMEM, "chart PNG: out of memory");
    ll_buf_free(&png);
    if (gerr)
        rs.error_free(gerr);
    rs.destroy(cr);
    rs.surface_destroy(surf);
    rs.unref(h);
    return rc;
}
