using System.Globalization;
using System.Security;
using System.Text;

namespace GlobalZone.Jepsen.Report;

/// <summary>A small SVG writer: just the shapes the charts use, with invariant number formatting and escaped text.</summary>
internal sealed class SvgCanvas
{
    private readonly StringBuilder body = new();

    public SvgCanvas(double width, double height)
    {
        Width = width;
        Height = height;
    }

    public double Width { get; }

    public double Height { get; }

    public void Rect(double x, double y, double width, double height, string fill, double opacity = 1, string? stroke = null, string? title = null, bool dashed = false)
    {
        body.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(Math.Max(0, width))}\" height=\"{F(Math.Max(0, height))}\" fill=\"{fill}\"");
        if (opacity < 1)
            body.Append(CultureInfo.InvariantCulture, $" fill-opacity=\"{F(opacity)}\"");
        if (stroke is not null)
            body.Append(CultureInfo.InvariantCulture, $" stroke=\"{stroke}\" stroke-width=\"1\"");
        if (dashed)
            body.Append(" stroke-dasharray=\"4 3\"");
        Close("rect", title);
    }

    public void Circle(double cx, double cy, double r, string fill, double opacity = 1, string? title = null)
    {
        body.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(cx)}\" cy=\"{F(cy)}\" r=\"{F(r)}\" fill=\"{fill}\"");
        if (opacity < 1)
            body.Append(CultureInfo.InvariantCulture, $" fill-opacity=\"{F(opacity)}\"");
        Close("circle", title);
    }

    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, bool dashed = false)
    {
        body.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x1)}\" y1=\"{F(y1)}\" x2=\"{F(x2)}\" y2=\"{F(y2)}\" stroke=\"{stroke}\" stroke-width=\"{F(width)}\"");
        if (dashed)
            body.Append(" stroke-dasharray=\"4 3\"");
        body.Append("/>\n");
    }

    public void Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width = 1.5)
    {
        body.Append("<polyline fill=\"none\" stroke=\"").Append(stroke).Append(CultureInfo.InvariantCulture, $"\" stroke-width=\"{F(width)}\" points=\"");
        foreach (var (x, y) in points)
            body.Append(F(x)).Append(',').Append(F(y)).Append(' ');
        body.Append("\"/>\n");
    }

    public void Text(double x, double y, string text, double size = 11, string anchor = "start", string fill = "#263238", bool bold = false)
    {
        body.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{F(y)}\" font-size=\"{F(size)}\" text-anchor=\"{anchor}\" fill=\"{fill}\"");
        if (bold)
            body.Append(" font-weight=\"bold\"");
        body.Append('>').Append(SecurityElement.Escape(text)).Append("</text>\n");
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(Width)}\" height=\"{F(Height)}\" viewBox=\"0 0 {F(Width)} {F(Height)}\" font-family=\"sans-serif\">\n")
        + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n" + body + "</svg>\n";

    private void Close(string element, string? title)
    {
        if (title is null)
            body.Append("/>\n");
        else
            body.Append("><title>").Append(SecurityElement.Escape(title)).Append("</title></").Append(element).Append(">\n");
    }

    internal static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
