<?xml version="1.0" encoding="UTF-8"?>
<!-- The platform's default invoice design: a plain, printable page in Turkish. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:inv="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    exclude-result-prefixes="inv cac cbc">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/inv:Invoice">
    <html lang="tr">
      <head>
        <meta charset="UTF-8"/>
        <title>e-Fatura <xsl:value-of select="cbc:ID"/></title>
        <style>
          body { font: 12px/1.4 sans-serif; color: #222; margin: 2em; }
          table { border-collapse: collapse; width: 100%; margin-top: 1em; }
          th, td { border: 1px solid #999; padding: 3px 6px; text-align: left; }
          td.n, th.n { text-align: right; }
          .parties { display: flex; justify-content: space-between; gap: 2em; }
          .box { border: 1px solid #999; padding: .6em; flex: 1; }
          h1 { font-size: 18px; }
          table.head, table.head td { border: 0; margin: 0; padding: 0; vertical-align: top; }
          table.head td.qr { width: 130px; text-align: right; }
        </style>
      </head>
      <body>
        <table class="head">
          <tr>
            <td>
              <h1>
                <xsl:choose>
                  <xsl:when test="cbc:ProfileID = 'EARSIVFATURA'">e-Arşiv Fatura</xsl:when>
                  <xsl:otherwise>e-Fatura</xsl:otherwise>
                </xsl:choose>
              </h1>
              <p>Senaryo: <xsl:value-of select="cbc:ProfileID"/> · Fatura Tipi: <xsl:value-of select="cbc:InvoiceTypeCode"/></p>
            </td>
            <td class="qr"><div id="qrcode"/></td>
          </tr>
        </table>
        <div class="parties">
          <div class="box"><strong>Satıcı</strong><xsl:apply-templates select="cac:AccountingSupplierParty/cac:Party"/></div>
          <div class="box"><strong>Alıcı</strong><xsl:apply-templates select="cac:AccountingCustomerParty/cac:Party"/></div>
          <div class="box">
            <div>Fatura No: <xsl:value-of select="cbc:ID"/></div>
            <div>Tarih: <xsl:value-of select="cbc:IssueDate"/><xsl:text> </xsl:text><xsl:value-of select="cbc:IssueTime"/></div>
            <div>ETTN: <xsl:value-of select="cbc:UUID"/></div>
          </div>
        </div>
        <table>
          <tr><th>Sıra</th><th>Mal / Hizmet</th><th class="n">Miktar</th><th class="n">Birim Fiyat</th><th class="n">KDV %</th><th class="n">Tutar</th></tr>
          <xsl:for-each select="cac:InvoiceLine">
            <tr>
              <td><xsl:value-of select="cbc:ID"/></td>
              <td><xsl:value-of select="cac:Item/cbc:Name"/></td>
              <td class="n"><xsl:value-of select="cbc:InvoicedQuantity"/><xsl:text> </xsl:text><xsl:value-of select="cbc:InvoicedQuantity/@unitCode"/></td>
              <td class="n"><xsl:value-of select="cac:Price/cbc:PriceAmount"/></td>
              <td class="n"><xsl:value-of select="cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode='0015']/cbc:Percent"/></td>
              <td class="n"><xsl:value-of select="cbc:LineExtensionAmount"/></td>
            </tr>
          </xsl:for-each>
        </table>
        <table>
          <xsl:for-each select="cac:LegalMonetaryTotal/*">
            <tr>
              <th>
                <xsl:choose>
                  <xsl:when test="local-name() = 'LineExtensionAmount'">Mal Hizmet Toplam Tutarı</xsl:when>
                  <xsl:when test="local-name() = 'TaxExclusiveAmount'">Vergiler Hariç Tutar</xsl:when>
                  <xsl:when test="local-name() = 'TaxInclusiveAmount'">Vergiler Dahil Toplam Tutar</xsl:when>
                  <xsl:when test="local-name() = 'AllowanceTotalAmount'">Toplam İskonto</xsl:when>
                  <xsl:when test="local-name() = 'ChargeTotalAmount'">Toplam Artırım</xsl:when>
                  <xsl:when test="local-name() = 'PayableRoundingAmount'">Yuvarlama</xsl:when>
                  <xsl:when test="local-name() = 'PayableAmount'">Ödenecek Tutar</xsl:when>
                  <xsl:otherwise><xsl:value-of select="local-name()"/></xsl:otherwise>
                </xsl:choose>
              </th>
              <td class="n"><xsl:value-of select="."/><xsl:text> </xsl:text><xsl:value-of select="@currencyID"/></td>
            </tr>
          </xsl:for-each>
          <xsl:for-each select="cac:TaxTotal/cac:TaxSubtotal">
            <tr><th>Hesaplanan <xsl:value-of select="cac:TaxCategory/cac:TaxScheme/cbc:Name"/> (%<xsl:value-of select="cbc:Percent"/>), matrah <xsl:value-of select="cbc:TaxableAmount"/></th><td class="n"><xsl:value-of select="cbc:TaxAmount"/><xsl:text> </xsl:text><xsl:value-of select="cbc:TaxAmount/@currencyID"/></td></tr>
          </xsl:for-each>
        </table>
        <xsl:for-each select="cbc:Note"><p><xsl:value-of select="."/></p></xsl:for-each>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="cac:Party">
    <div><xsl:value-of select="cac:PartyName/cbc:Name"/><xsl:value-of select="cac:Person/cbc:FirstName"/><xsl:text> </xsl:text><xsl:value-of select="cac:Person/cbc:FamilyName"/></div>
    <div><xsl:value-of select="cac:PostalAddress/cbc:StreetName"/><xsl:text> </xsl:text><xsl:value-of select="cac:PostalAddress/cbc:BuildingNumber"/></div>
    <div><xsl:value-of select="cac:PostalAddress/cbc:CitySubdivisionName"/> / <xsl:value-of select="cac:PostalAddress/cbc:CityName"/></div>
    <div>Vergi Dairesi: <xsl:value-of select="cac:PartyTaxScheme/cac:TaxScheme/cbc:Name"/></div>
    <xsl:for-each select="cac:PartyIdentification/cbc:ID"><div><xsl:value-of select="@schemeID"/>: <xsl:value-of select="."/></div></xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
