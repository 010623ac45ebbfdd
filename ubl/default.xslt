<?xml version="1.0" encoding="UTF-8"?>
<!-- The platform's default invoice design, embedded into every invoice it builds: one printable A4
     page in Turkish (XSLT 1.0, nothing loaded from outside). The head is boxes and floats, which the
     PDF renderer lays out more quickly than a table; the lines and totals are tables of fixed layout.
     The karekod goes into the empty #qrcode box, as in GİB's general.xslt; the platform's PDF draws it
     there. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:inv="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    exclude-result-prefixes="inv cac cbc">
  <xsl:output method="html" encoding="UTF-8" indent="no" doctype-system="about:legacy-compat"/>
  <xsl:decimal-format name="tr" decimal-separator="," grouping-separator="."/>
  <xsl:variable name="currency">
    <xsl:choose>
      <xsl:when test="/inv:Invoice/cbc:DocumentCurrencyCode = 'TRY'">TL</xsl:when>
      <xsl:otherwise><xsl:value-of select="/inv:Invoice/cbc:DocumentCurrencyCode"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="kdv" select="'0015'"/>

  <xsl:template match="/inv:Invoice">
    <xsl:variable name="title">
      <xsl:choose>
        <xsl:when test="cbc:ProfileID = 'EARSIVFATURA'">e-Arşiv Fatura</xsl:when>
        <xsl:otherwise>e-Fatura</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <html lang="tr">
      <head>
        <meta charset="UTF-8"/>
        <title><xsl:value-of select="concat($title, ' ', cbc:ID)"/></title>
        <style>
          @page { size: A4; margin: 12mm 10mm 14mm;
                  @bottom-right { content: counter(page) " / " counter(pages); font: 7pt "DejaVu Sans", sans-serif; } }
          body { font: 8.5pt/1.4 "DejaVu Sans", Arial, sans-serif; color: #111; margin: 0; }
          table { border-collapse: separate; border-spacing: 0; width: 100%; table-layout: fixed; }
          td, th { padding: 2px 4px; vertical-align: top; text-align: left; }
          .box { border: 1px solid #777; padding: 5px 7px; white-space: pre-line; }
          .party { width: 62%; box-sizing: border-box; }
          .info { float: right; width: 34%; box-sizing: border-box; overflow: hidden; }
          .info div { white-space: pre; }
          .info .k { float: left; width: 40%; overflow: hidden; }
          .info .v { margin-left: 40%; }
          h1 { font-size: 15pt; margin: 8px 0; text-align: center; clear: both; }
          .ettn { margin: 4px 0 8px; clear: both; }
          .lines th { background: #e8e8e8; font-size: 7.5pt; border-top: 1px solid #777; border-bottom: 1px solid #777; }
          .lines td { border-bottom: 1px solid #bbb; }
          .n { text-align: right; }
          .totals { width: 56%; margin: 8px 0 0 auto; border: 1px solid #777; }
          .totals td { white-space: pre; overflow: hidden; }
          .totals .sum td { font-weight: bold; background: #eee; border-top: 1px solid #777; }
          .k { font-weight: bold; }
          .notes { margin-top: 8px; white-space: pre-line; }
          .phrases { margin-top: 8px; border-top: 1px solid #777; padding-top: 4px; }
          .phrases p { margin: 2px 0; }
          .phrases table { width: 70%; border: 1px solid #999; }
          .phrases td { white-space: pre; }
          #qrcode { float: right; width: 34mm; height: 34mm; }
        </style>
      </head>
      <body>
        <div id="qrcode"/>
        <div class="box party"><strong>Satıcı</strong><xsl:apply-templates select="cac:AccountingSupplierParty/cac:Party"/></div>
        <h1><xsl:value-of select="$title"/></h1>
        <div class="box info">
          <div class="k">Senaryo&#10;Fatura Tipi&#10;Fatura No&#10;Fatura Tarihi<xsl:for-each
            select="cac:OrderReference">&#10;Sipariş</xsl:for-each><xsl:for-each
            select="cac:DespatchDocumentReference">&#10;İrsaliye</xsl:for-each><xsl:for-each
            select="cac:BillingReference/cac:InvoiceDocumentReference">&#10;İade edilen</xsl:for-each><xsl:for-each
            select="cac:PricingExchangeRate">&#10;Döviz kuru</xsl:for-each></div>
          <div class="v"><xsl:value-of select="cbc:ProfileID"/><xsl:text>&#10;</xsl:text><xsl:value-of select="cbc:InvoiceTypeCode"/><xsl:text>&#10;</xsl:text><xsl:value-of
            select="cbc:ID"/><xsl:text>&#10;</xsl:text><xsl:apply-templates select="cbc:IssueDate"/><xsl:text> </xsl:text><xsl:value-of select="cbc:IssueTime"/>
            <xsl:for-each select="cac:OrderReference | cac:DespatchDocumentReference | cac:BillingReference/cac:InvoiceDocumentReference">
              <xsl:text>&#10;</xsl:text><xsl:value-of select="cbc:ID"/><xsl:text> </xsl:text><xsl:apply-templates select="cbc:IssueDate"/></xsl:for-each>
            <xsl:for-each select="cac:PricingExchangeRate">&#10;1 <xsl:value-of select="cbc:SourceCurrencyCode"/> = <xsl:value-of
              select="format-number(cbc:CalculationRate, '#.##0,00####', 'tr')"/> TL</xsl:for-each></div>
        </div>
        <div class="box party"><strong>Alıcı</strong><xsl:apply-templates select="cac:AccountingCustomerParty/cac:Party"/>
          <xsl:for-each select="cac:BuyerCustomerParty/cac:Party"><xsl:text>&#10;</xsl:text><em>Nihai alıcı:</em><xsl:apply-templates select="."/></xsl:for-each></div>
        <p class="ettn"><strong>ETTN:</strong><xsl:text> </xsl:text><xsl:value-of select="cbc:UUID"/></p>

        <table class="lines">
          <col style="width: 5%"/><col style="width: 29%"/><col style="width: 11%"/><col style="width: 12%"/>
          <col style="width: 10%"/><col style="width: 7%"/><col style="width: 12%"/><col style="width: 14%"/>
          <thead>
            <tr><th>Sıra</th><th>Mal / Hizmet</th><th class="n">Miktar</th><th class="n">Birim Fiyat</th>
                <th class="n">İskonto</th><th class="n">KDV %</th><th class="n">KDV Tutarı</th><th class="n">Mal Hizmet Tutarı</th></tr>
          </thead>
          <tbody>
            <xsl:for-each select="cac:InvoiceLine">
              <xsl:variable name="vat" select="cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode = $kdv]"/>
              <tr>
                <td><xsl:value-of select="cbc:ID"/></td>
                <td><xsl:value-of select="cac:Item/cbc:Name"/><xsl:for-each select="cac:Item/cbc:Description | cbc:Note"> · <xsl:value-of select="."/></xsl:for-each></td>
                <td class="n"><xsl:value-of select="format-number(cbc:InvoicedQuantity, '#.##0,######', 'tr')"/><xsl:text> </xsl:text><xsl:apply-templates select="cbc:InvoicedQuantity/@unitCode"/></td>
                <td class="n"><xsl:apply-templates select="cac:Price/cbc:PriceAmount"/></td>
                <td class="n"><xsl:if test="cac:AllowanceCharge[cbc:ChargeIndicator = 'false']"><xsl:call-template name="money"><xsl:with-param name="value" select="sum(cac:AllowanceCharge[cbc:ChargeIndicator = 'false']/cbc:Amount)"/></xsl:call-template></xsl:if></td>
                <td class="n"><xsl:for-each select="$vat[cbc:Percent != '']"><xsl:value-of select="format-number(cbc:Percent, '#.##0,##', 'tr')"/></xsl:for-each></td>
                <td class="n"><xsl:apply-templates select="$vat/cbc:TaxAmount"/></td>
                <td class="n"><xsl:apply-templates select="cbc:LineExtensionAmount"/></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>

        <table class="totals">
          <col style="width: 62%"/><col style="width: 38%"/>
          <tr>
            <td class="k">Mal Hizmet Toplam Tutarı&#10;Toplam İskonto<xsl:for-each
              select="cac:LegalMonetaryTotal/cbc:ChargeTotalAmount">&#10;Toplam Artırım</xsl:for-each><xsl:for-each
              select="cac:TaxTotal/cac:TaxSubtotal"><xsl:variable name="rate"><xsl:call-template name="rate"/></xsl:variable><xsl:choose>
                <xsl:when test="cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode = $kdv">&#10;KDV Matrahı<xsl:value-of select="$rate"/>&#10;Hesaplanan KDV<xsl:value-of select="$rate"/></xsl:when>
                <xsl:otherwise>&#10;Hesaplanan <xsl:value-of select="cac:TaxCategory/cac:TaxScheme/cbc:Name"/> (<xsl:value-of select="cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode"/>)<xsl:value-of select="$rate"/></xsl:otherwise>
              </xsl:choose></xsl:for-each><xsl:for-each
              select="cac:WithholdingTaxTotal/cac:TaxSubtotal">&#10;KDV Tevkifatı (<xsl:value-of select="cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode"/>)<xsl:call-template name="rate"/></xsl:for-each>&#10;Vergiler Dahil Toplam Tutar</td>
            <td class="n"><xsl:apply-templates select="cac:LegalMonetaryTotal/cbc:LineExtensionAmount"/><xsl:text>&#10;</xsl:text><xsl:call-template name="money"><xsl:with-param name="value"
              select="sum(cac:InvoiceLine/cac:AllowanceCharge[cbc:ChargeIndicator = 'false']/cbc:Amount) + sum(cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount)"/></xsl:call-template><xsl:for-each
              select="cac:LegalMonetaryTotal/cbc:ChargeTotalAmount"><xsl:text>&#10;</xsl:text><xsl:apply-templates select="."/></xsl:for-each><xsl:for-each
              select="cac:TaxTotal/cac:TaxSubtotal"><xsl:if test="cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode = $kdv"><xsl:text>&#10;</xsl:text><xsl:apply-templates select="cbc:TaxableAmount"/></xsl:if><xsl:text>&#10;</xsl:text><xsl:apply-templates select="cbc:TaxAmount"/></xsl:for-each><xsl:for-each
              select="cac:WithholdingTaxTotal/cac:TaxSubtotal"><xsl:text>&#10;</xsl:text><xsl:apply-templates select="cbc:TaxAmount"/></xsl:for-each><xsl:text>&#10;</xsl:text><xsl:apply-templates select="cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"/></td>
          </tr>
          <tr class="sum"><td>Ödenecek Tutar</td><td class="n"><xsl:apply-templates select="cac:LegalMonetaryTotal/cbc:PayableAmount"/></td></tr>
        </table>

        <div class="notes"><xsl:for-each select="cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason"><xsl:if test="position() > 1"><xsl:text>&#10;</xsl:text></xsl:if>İstisna (<xsl:value-of select="../cbc:TaxExemptionReasonCode"/>): <xsl:value-of select="."/></xsl:for-each>
          <xsl:for-each select="cac:PaymentMeans[cac:PayeeFinancialAccount/cbc:ID or cbc:PaymentDueDate]">&#10;Ödeme: <xsl:value-of select="cac:PayeeFinancialAccount/cbc:ID"/>
            <xsl:for-each select="cbc:PaymentDueDate"><xsl:text> · son ödeme </xsl:text><xsl:apply-templates select="."/></xsl:for-each></xsl:for-each>
          <xsl:for-each select="cbc:Note"><xsl:text>&#10;</xsl:text><xsl:value-of select="."/></xsl:for-each></div>

        <div class="phrases">
          <xsl:if test="cbc:ProfileID = 'EARSIVFATURA'"><p>e-Arşiv izni kapsamında elektronik ortamda iletilmiştir.</p></xsl:if>
          <xsl:for-each select="cac:AdditionalDocumentReference[cbc:DocumentType = 'INTERNET_SATIS'][1]">
            <xsl:variable name="refs" select="../cac:AdditionalDocumentReference"/>
            <xsl:variable name="carrier" select="../cac:Delivery/cac:CarrierParty"/>
            <xsl:variable name="despatch" select="../cac:Delivery/cac:Despatch/cbc:ActualDespatchDate"/>
            <p>Bu satış internet üzerinden yapılmıştır.</p>
            <table>
              <col style="width: 35%"/><col style="width: 65%"/>
              <tr>
                <td class="k">Web adresi&#10;Ödeme şekli<xsl:if test="$refs[cbc:DocumentType = 'ODEME_ARACISI']">&#10;Ödeme aracısı</xsl:if><xsl:if
                  test="$refs[cbc:DocumentType = 'ODEME_TARIHI']">&#10;Ödeme tarihi</xsl:if><xsl:if test="$carrier">&#10;Gönderiyi taşıyan</xsl:if><xsl:if
                  test="$despatch">&#10;Gönderim tarihi</xsl:if></td>
                <td><xsl:value-of select="cbc:ID"/><xsl:text>&#10;</xsl:text><xsl:value-of select="$refs[cbc:DocumentType = 'ODEME_SEKLI']/cbc:ID"/><xsl:for-each
                  select="$refs[cbc:DocumentType = 'ODEME_ARACISI']"><xsl:text>&#10;</xsl:text><xsl:value-of select="cbc:ID"/></xsl:for-each><xsl:for-each
                  select="$refs[cbc:DocumentType = 'ODEME_TARIHI']"><xsl:text>&#10;</xsl:text><xsl:call-template name="date"><xsl:with-param name="value" select="cbc:ID"/></xsl:call-template></xsl:for-each><xsl:for-each
                  select="$carrier"><xsl:text>&#10;</xsl:text><xsl:value-of select="cac:PartyName/cbc:Name"/> (<xsl:value-of select="cac:PartyIdentification/cbc:ID/@schemeID"/><xsl:text> </xsl:text><xsl:value-of
                  select="cac:PartyIdentification/cbc:ID"/>)</xsl:for-each><xsl:for-each select="$despatch"><xsl:text>&#10;</xsl:text><xsl:apply-templates select="."/></xsl:for-each></td>
              </tr>
            </table>
          </xsl:for-each>
        </div>
      </body>
    </html>
  </xsl:template>

  <!-- A party as lines of text: the box keeps the line breaks (white-space: pre-line). -->
  <xsl:template match="cac:Party">
    <xsl:text>&#10;</xsl:text><xsl:value-of select="cac:PartyName/cbc:Name"/><xsl:if test="not(cac:PartyName/cbc:Name)"><xsl:value-of select="concat(cac:Person/cbc:FirstName, ' ', cac:Person/cbc:FamilyName)"/></xsl:if>
    <xsl:for-each select="cac:PostalAddress">
      <xsl:if test="normalize-space(concat(cbc:StreetName, cbc:BuildingNumber))"><xsl:text>&#10;</xsl:text><xsl:value-of select="normalize-space(concat(cbc:StreetName, ' ', cbc:BuildingNumber))"/></xsl:if>
      <xsl:text>&#10;</xsl:text><xsl:value-of select="normalize-space(concat(cbc:PostalZone, ' ', cbc:CitySubdivisionName, ' / ', cbc:CityName, ' ', cac:Country/cbc:Name))"/>
    </xsl:for-each>
    <xsl:for-each select="cac:PartyTaxScheme/cac:TaxScheme/cbc:Name">&#10;Vergi Dairesi: <xsl:value-of select="."/></xsl:for-each>
    <xsl:for-each select="cac:PartyIdentification/cbc:ID"><xsl:text>&#10;</xsl:text><xsl:value-of select="@schemeID"/>: <xsl:value-of select="."/></xsl:for-each>
    <xsl:for-each select="cac:Contact/cbc:Telephone">&#10;Tel: <xsl:value-of select="."/></xsl:for-each>
    <xsl:for-each select="cac:Contact/cbc:ElectronicMail">&#10;E-posta: <xsl:value-of select="."/></xsl:for-each>
    <xsl:for-each select="cbc:WebsiteURI[normalize-space()]">&#10;Web: <xsl:value-of select="."/></xsl:for-each>
  </xsl:template>

  <!-- " (%20)" for a subtotal that states its rate, nothing for one that does not. -->
  <xsl:template name="rate">
    <xsl:if test="string(number(cbc:Percent)) != 'NaN'"> (%<xsl:value-of select="format-number(cbc:Percent, '#.##0,##', 'tr')"/>)</xsl:if>
  </xsl:template>

  <!-- An amount with its currency, in Turkish notation (1.234,50 TL). -->
  <xsl:template match="cbc:*[@currencyID]" name="money">
    <xsl:param name="value" select="."/>
    <xsl:value-of select="format-number($value, '#.##0,00', 'tr')"/><xsl:text> </xsl:text><xsl:value-of select="$currency"/>
  </xsl:template>

  <!-- A unit price keeps the digits it was given. -->
  <xsl:template match="cac:Price/cbc:PriceAmount">
    <xsl:value-of select="format-number(., '#.##0,00######', 'tr')"/><xsl:text> </xsl:text><xsl:value-of select="$currency"/>
  </xsl:template>

  <!-- A date as Turkish readers write it: 20.11.2026. -->
  <xsl:template match="cbc:IssueDate | cbc:PaymentDueDate | cbc:ActualDespatchDate" name="date">
    <xsl:param name="value" select="."/>
    <xsl:value-of select="concat(substring($value, 9, 2), '.', substring($value, 6, 2), '.', substring($value, 1, 4))"/>
  </xsl:template>

  <xsl:template match="@unitCode">
    <xsl:choose>
      <xsl:when test=". = 'C62' or . = 'NIU' or . = 'EA'">Adet</xsl:when>
      <xsl:when test=". = 'KGM'">kg</xsl:when>
      <xsl:when test=". = 'GRM'">g</xsl:when>
      <xsl:when test=". = 'TNE'">ton</xsl:when>
      <xsl:when test=". = 'MTR'">m</xsl:when>
      <xsl:when test=". = 'MTK'">m²</xsl:when>
      <xsl:when test=". = 'MTQ'">m³</xsl:when>
      <xsl:when test=". = 'LTR'">lt</xsl:when>
      <xsl:when test=". = 'HUR'">saat</xsl:when>
      <xsl:when test=". = 'MIN'">dakika</xsl:when>
      <xsl:when test=". = 'DAY'">gün</xsl:when>
      <xsl:when test=". = 'MON'">ay</xsl:when>
      <xsl:when test=". = 'ANN'">yıl</xsl:when>
      <xsl:when test=". = 'KWH'">kWh</xsl:when>
      <xsl:when test=". = 'PR'">çift</xsl:when>
      <xsl:when test=". = 'SET'">takım</xsl:when>
      <xsl:when test=". = 'PA'">paket</xsl:when>
      <xsl:when test=". = 'BX'">kutu</xsl:when>
      <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
